/**
 * The agent's tools served over MCP: one small in-process MCP server per
 * toolset (`McpServer` over `InMemoryTransport`, tools annotated: send_email
 * additive, refund.issue and deploy_service destructive), and the AI SDK loop
 * of the AI SDK path calling them. Governed, each server's client is wrapped
 * with `governClient` of `@governor/mcp` under its toolset; the model is
 * governed as in the AI SDK path.
 */
import type { BudgetDeniedError } from '@governor/core';
import { deniedResult, governClient } from '@governor/mcp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import {
  type DemoLedger,
  type Executed,
  type GovernedResult,
  GovernedRun,
  newExecuted,
  type Progress,
  perform,
  type Scenario,
  TOOL_DESCRIPTIONS,
  TOOLSETS,
  type ToolName,
  type UngovernedResult,
} from '../scenario.js';
import { aiSdkTools, governedLoop, ungovernedLoop } from './ai-sdk.js';
import { INPUT_SHAPES } from './schemas.js';

const SERVERS: Array<{
  toolset: string;
  tools: Array<{ name: ToolName; input: z.ZodRawShape; annotations: ToolAnnotations }>;
}> = [
  {
    toolset: TOOLSETS.send_email,
    tools: [
      {
        name: 'send_email',
        input: INPUT_SHAPES.send_email,
        annotations: {
          readOnlyHint: false,
          destructiveHint: false,
          idempotentHint: false,
          openWorldHint: true,
        },
      },
    ],
  },
  {
    toolset: TOOLSETS['refund.issue'],
    tools: [
      {
        name: 'refund.issue',
        input: INPUT_SHAPES['refund.issue'],
        annotations: {
          readOnlyHint: false,
          destructiveHint: true,
          idempotentHint: false,
          openWorldHint: true,
        },
      },
    ],
  },
  {
    toolset: TOOLSETS.deploy_service,
    tools: [
      {
        name: 'deploy_service',
        input: INPUT_SHAPES.deploy_service,
        annotations: {
          readOnlyHint: false,
          destructiveHint: true,
          idempotentHint: false,
          openWorldHint: true,
        },
      },
    ],
  },
];

interface Connected {
  toolset: string;
  tools: ToolName[];
  client: Client;
  close: () => Promise<void>;
}

/** Start the MCP servers (their tools count into `executed`) and connect a client to each. */
async function connectServers(executed: Executed): Promise<Connected[]> {
  const connected: Connected[] = [];
  for (const spec of SERVERS) {
    const server = new McpServer({ name: `support-${spec.toolset}`, version: '1.0.0' });
    for (const t of spec.tools) {
      server.registerTool(
        t.name,
        { description: TOOL_DESCRIPTIONS[t.name], inputSchema: t.input, annotations: t.annotations },
        async (input: Record<string, unknown>) => ({
          content: [{ type: 'text', text: perform(executed, t.name, input) }],
        }),
      );
    }
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'support-agent', version: '1.0.0' });
    await server.connect(serverSide);
    await client.connect(clientSide);
    connected.push({
      toolset: spec.toolset,
      tools: spec.tools.map((t) => t.name),
      client,
      close: async () => {
        await client.close();
        await server.close();
      },
    });
  }
  return connected;
}

/** The text of a tool result (a denial's "not executed: …" included). */
const textOf = (result: Awaited<ReturnType<Client['callTool']>>): string =>
  ((result.content ?? []) as Array<{ type: string; text?: string }>)
    .map((part) => (part.type === 'text' ? part.text : JSON.stringify(part)))
    .join('\n');

/** AI SDK tools that call the MCP servers through `clientFor(toolset)`. */
async function mcpTools(servers: Connected[], clientFor: (c: Connected) => Client) {
  const byTool = new Map<ToolName, Client>();
  for (const c of servers) {
    const client = clientFor(c);
    // What a client does first: list the server's tools (governClient learns their annotations here).
    const { tools } = await client.listTools();
    for (const t of tools) byTool.set(t.name as ToolName, client);
  }
  return aiSdkTools(async (name, input) => {
    const client = byTool.get(name);
    if (!client) throw new Error(`no MCP server serves ${name}`);
    return textOf(await client.callTool({ name, arguments: input }));
  });
}

async function withServers<T>(executed: Executed, use: (servers: Connected[]) => Promise<T>): Promise<T> {
  const servers = await connectServers(executed);
  try {
    return await use(servers);
  } finally {
    for (const s of servers) await s.close();
  }
}

/** The AI SDK agent calling the MCP tools directly. */
export function runUngoverned(s: Scenario, onStep?: (p: Progress) => void): Promise<UngovernedResult> {
  const executed = newExecuted();
  return withServers(executed, async (servers) =>
    ungovernedLoop(s, await mcpTools(servers, (c) => c.client), executed, onStep),
  );
}

/** The same, behind the allowlist gateway, each MCP client wrapped with `governClient` under its toolset. */
export function runGoverned(
  s: Scenario,
  ledger: DemoLedger,
  onStep?: (p: Progress) => void,
): Promise<GovernedResult> {
  const run = new GovernedRun(s, ledger, onStep);
  const denied = (error: BudgetDeniedError, toolName: string) => {
    run.denied(error);
    return deniedResult(error, toolName);
  };
  return withServers(run.executed, async (servers) => {
    const tools = await mcpTools(servers, (c) =>
      governClient(c.client, {
        governor: run.governor,
        subject: { toolset: c.toolset },
        deniedResult: denied,
      }),
    );
    return governedLoop(run, tools);
  });
}
