import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type Governor, type LedgerAdmin, NAME_PATTERN } from '@governor/core';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { InitializeRequest, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { GovernClientOptions } from '../options.js';
import type { RunChoice } from './args.js';
import { type OnUpstreamExit, UpstreamLink } from './link.js';
import { latest, relayedCapabilities, relayToHost } from './relay.js';
import { createGovernorProxy, type ProxyApprovals } from './server.js';
import type { UpstreamSpec } from './upstream.js';

export interface SessionOptions extends Omit<GovernClientOptions, 'onDeny'> {
  upstream: UpstreamSpec;
  runId: string;
  timeoutMs?: number;
  onUpstreamExit?: OnUpstreamExit;
  /** The upstream exited and `onUpstreamExit` is `exit`. */
  onFatal?: (error: Error) => void;
  log?: (message: string) => void;
  ledger?: Pick<LedgerAdmin, 'getBudget'>;
  /** Restart delays of a crashed upstream (see `UpstreamLink`). */
  backoff?: { initialMs: number; maxMs: number };
  /** A call paused for approval: asked of the host (`elicit`, default) or not (`message`). */
  approvals?: ProxyApprovals;
}

/** One MCP session's server, and what to do once the session is over. */
export interface ProxySession {
  server: Server;
  close: () => Promise<void>;
}

/**
 * One governed session: its upstream, started with the host's capabilities
 * (so the upstream's sampling, elicitation and roots requests reach the host)
 * and kept up, and the proxy server in front of it, charged to `runId`.
 */
export async function openProxySession(
  init: InitializeRequest['params'] | undefined,
  options: SessionOptions,
): Promise<ProxySession> {
  const { upstream: spec, onUpstreamExit, onFatal, log, backoff, ...proxy } = options;
  let ready: (server: Server) => void = () => undefined;
  const server = new Promise<Server>((resolve) => {
    ready = resolve;
  });
  const inflight = new Set<RequestId>();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const relay = { host: init?.capabilities, timeoutMs, related: () => latest(inflight) };
  const link = await UpstreamLink.open({
    spec,
    capabilities: relayedCapabilities(init?.capabilities),
    prepare: (client) => relayToHost(client, server, relay),
    ...(onUpstreamExit ? { onExit: onUpstreamExit } : {}),
    ...(onFatal ? { onFatal } : {}),
    ...(log ? { log } : {}),
    ...(backoff ? { backoff } : {}),
  });
  const proxyServer = createGovernorProxy({ ...proxy, upstream: link, inflight });
  ready(proxyServer);
  return { server: proxyServer, close: () => link.close() };
}

/** What an HTTP session starts from: its id, the host's initialize, its headers, its tenant (from its token). */
export interface SessionContext {
  sessionId: string;
  init: InitializeRequest['params'];
  headers: IncomingHttpHeaders;
  tenant?: string | undefined;
}

/** The process's own run, for `--run-per process`. */
const PROCESS_RUN = `mcp-${randomUUID()}`;

/** The run a session is charged to: the header the host set, else the fixed run, else per process or per session. */
export function runFor(choice: RunChoice, sessionId: string, headers: IncomingHttpHeaders = {}): string {
  const given = choice.header ? headers[choice.header.toLowerCase()] : undefined;
  if (typeof given === 'string') {
    if (!NAME_PATTERN.test(given)) throw new Error(`${choice.header}: not a valid run id: "${given}"`);
    return given;
  }
  if (choice.fixed) return choice.fixed;
  return choice.per === 'process' ? PROCESS_RUN : `mcp-${sessionId}`;
}

export interface ProxySessionsOptions extends Omit<SessionOptions, 'runId' | 'governor'> {
  /** The governor, or one per tenant (a token's tenant over HTTP). */
  governor: Governor | ((tenant: string | undefined) => Governor);
  run?: RunChoice;
  /** Called with the run and governor once its session is over and its upstream closed. */
  onSessionClosed?: (runId: string, governor: Governor) => void | Promise<void>;
}

/** `openSession` for `serveStreamableHttp`: each session its own upstream and proxy server, charged to its run. */
export function proxySessions(
  options: ProxySessionsOptions,
): (session: SessionContext) => Promise<ProxySession> {
  const { governor: chosen, run = { per: 'session' }, onSessionClosed, ...session } = options;
  return async ({ sessionId, init, headers, tenant }) => {
    const runId = runFor(run, sessionId, headers);
    const governor = typeof chosen === 'function' ? chosen(tenant) : chosen;
    const opened = await openProxySession(init, { ...session, governor, runId });
    return {
      server: opened.server,
      close: async () => {
        await opened.close();
        await onSessionClosed?.(runId, governor);
      },
    };
  };
}
