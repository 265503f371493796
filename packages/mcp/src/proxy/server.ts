import { randomUUID } from 'node:crypto';
import type { LedgerAdmin } from '@governor/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  CreateTaskResultSchema,
  ListToolsRequestSchema,
  type Progress,
  type RequestId,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import { governedCallTool } from '../call.js';
import { ToolCatalog } from '../catalog.js';
import { governedListTools } from '../client.js';
import type { GovernClientOptions } from '../options.js';
import { noBudgetResult, truthfulDenial } from './denial.js';
import { elicitApproval } from './elicit.js';
import { mcpErrors } from './errors.js';
import { forwardToUpstream } from './forward.js';
import type { UpstreamLink } from './link.js';
import { relayToHost, relayToUpstream } from './relay.js';

export interface GovernorProxyOptions extends Omit<GovernClientOptions, 'onDeny'> {
  /** The upstream MCP server: a connected SDK client, or a link that restarts it (see `UpstreamLink`). */
  upstream: Client | UpstreamLink;
  /** The run this session's calls are charged to; default a fresh `mcp-<uuid>`. */
  runId?: string;
  /** The proxy's name and version as an MCP server; default `governor-mcp-proxy` and the upstream's version. */
  serverInfo?: { name: string; version: string };
  /** Timeout of each request to the upstream, reset by its progress; default 60 000 ms. */
  timeoutMs?: number;
  /** The ledger behind the governor, so a denial can say how much is left. */
  ledger?: Pick<LedgerAdmin, 'getBudget'>;
  /** The host's tool calls in flight (ids), for relaying the upstream's requests on the right stream. */
  inflight?: Set<RequestId>;
  /**
   * A call paused for approval: `elicit` (default) asks the host's user when
   * the host can elicit, their answer recorded as the decision; `message`
   * never asks: the call answers that it waits for an operator.
   */
  approvals?: ProxyApprovals;
}

export type ProxyApprovals = 'elicit' | 'message';

/** The upstream's capabilities, re-exposed whole (tools always: calls to them are governed). */
const exposed = (upstream: ServerCapabilities | undefined): ServerCapabilities => ({
  ...upstream,
  tools: upstream?.tools ?? {},
});

/**
 * An MCP server (one per session) that fronts the upstream: its tools,
 * resources, prompts, completions, logging and tasks, and every tool call
 * governed as this session's run — charged once sent (cancelled or timed out
 * included), cancellation and progress relayed. Denials come back as
 * `isError` results; upstream and authority failures as clear MCP errors. A
 * call paused for approval is asked of the host by elicitation when it can
 * answer (see `elicitApproval`).
 * Connect it to any server transport (stdio, Streamable HTTP, in-memory).
 */
export function createGovernorProxy(options: GovernorProxyOptions): Server {
  const { upstream, governor, ledger } = options;
  const current = () => (upstream instanceof Client ? upstream : upstream.client);
  const runId = options.runId ?? `mcp-${randomUUID()}`;
  const timeout = options.timeoutMs ?? 60_000;
  const inflight = options.inflight ?? new Set<RequestId>();
  const caps = exposed(current().getServerCapabilities());
  const version = current().getServerVersion()?.version ?? '0.0.0';
  const instructions = current().getInstructions();
  const server = new Server(options.serverInfo ?? { name: 'governor-mcp-proxy', version }, {
    capabilities: caps,
    ...(instructions ? { instructions } : {}),
  });
  const govern = { ...options, onDeny: 'result' as const };
  const list: Client['listTools'] = (params, opts) => current().listTools(params, opts);
  const catalog = new ToolCatalog(list);
  const listTools = governedListTools(list, catalog, govern);
  // A task-augmented call answers with its task (charged: it was sent); the rest are plain tool calls.
  const upstreamCall: Client['callTool'] = (params, schema, opts) =>
    params.task
      ? (current().request({ method: 'tools/call', params }, CreateTaskResultSchema, opts) as never)
      : current().callTool(params, schema, opts);
  const asRun = <T>(fn: () => Promise<T>) => governor.withRun(runId, () => mcpErrors(fn));
  server.setRequestHandler(ListToolsRequestSchema, (req, extra) =>
    asRun(() => listTools(req.params, { signal: extra.signal, timeout })),
  );
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const token = req.params._meta?.progressToken;
    const onprogress = (progress: Progress) => {
      if (token === undefined) return;
      const params = { ...progress, progressToken: token };
      void extra.sendNotification({ method: 'notifications/progress', params }).catch(() => undefined);
    };
    const opts = { signal: extra.signal, timeout, resetTimeoutOnProgress: true, onprogress };
    // A call paused for approval is asked of the host's user, on this call's stream.
    const ask = { signal: extra.signal, timeout, relatedRequestId: extra.requestId };
    const callTool = governedCallTool(upstreamCall, catalog, govern, (call) =>
      options.approvals === 'message' ? undefined : elicitApproval(server, governor, call, ask),
    );
    inflight.add(extra.requestId);
    try {
      return await asRun(async () => {
        try {
          const result = (await callTool(req.params, undefined, opts)) as CallToolResult;
          return result.isError ? await truthfulDenial(result, req.params.name, ledger) : result;
        } catch (error) {
          const denied = noBudgetResult(error, req.params.name);
          if (denied) return denied;
          throw error;
        }
      });
    } finally {
      inflight.delete(extra.requestId);
    }
  });
  forwardToUpstream(server, current, caps, timeout);
  relayToUpstream(server, current);
  if (upstream instanceof Client) {
    relayToHost(upstream, Promise.resolve(server), {
      host: undefined,
      timeoutMs: timeout,
      related: () => undefined,
    });
  }
  return server;
}
