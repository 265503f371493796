import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import { governClient } from '../client.js';
import type { GovernClientOptions } from '../options.js';
import { mcpErrors } from './errors.js';
import { forwardToUpstream } from './forward.js';

export interface GovernorProxyOptions extends Omit<GovernClientOptions, 'onDeny'> {
  /** The upstream MCP server, as a connected SDK client (see `connectUpstream`). */
  upstream: Client;
  /** The run this session's calls are charged to; default a fresh `mcp-<uuid>`. */
  runId?: string;
  /** The proxy's name and version as an MCP server; default `governor-mcp-proxy` and the upstream's version. */
  serverInfo?: { name: string; version: string };
}

/** The upstream's capabilities that the proxy re-exposes. */
function exposed(upstream: ServerCapabilities | undefined): ServerCapabilities {
  const { tools, resources, prompts, completions, logging } = upstream ?? {};
  return {
    tools: tools ?? {},
    ...(resources ? { resources } : {}),
    ...(prompts ? { prompts } : {}),
    ...(completions ? { completions } : {}),
    ...(logging ? { logging } : {}),
  };
}

/**
 * An MCP server (one per session) that fronts `upstream`: tools, resources,
 * prompts, completions and logging are the upstream's, and every tool call
 * goes through the governor as this session's run. Denials come back as
 * `isError` results; upstream and authority failures as clear MCP errors.
 * Connect it to any server transport (stdio, Streamable HTTP, in-memory).
 */
export function createGovernorProxy(options: GovernorProxyOptions): Server {
  const { upstream, governor } = options;
  const runId = options.runId ?? `mcp-${randomUUID()}`;
  const caps = exposed(upstream.getServerCapabilities());
  const version = upstream.getServerVersion()?.version ?? '0.0.0';
  const instructions = upstream.getInstructions();
  const server = new Server(options.serverInfo ?? { name: 'governor-mcp-proxy', version }, {
    capabilities: caps,
    ...(instructions ? { instructions } : {}),
  });
  const governed = governClient(upstream, { ...options, onDeny: 'result' });
  const asRun = <T>(fn: () => Promise<T>) => governor.withRun(runId, () => mcpErrors(fn));
  server.setRequestHandler(ListToolsRequestSchema, (req, extra) =>
    asRun(() => governed.listTools(req.params, { signal: extra.signal })),
  );
  server.setRequestHandler(CallToolRequestSchema, (req, extra) =>
    asRun(() => governed.callTool(req.params, undefined, { signal: extra.signal })),
  );
  forwardToUpstream(server, upstream, caps);
  return server;
}
