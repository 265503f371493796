import type { Governor } from '@governor/core';
import type { GovernClientOptions } from '../options.js';
import type { HttpSession } from './http.js';
import { createGovernorProxy } from './server.js';
import { connectUpstream, type UpstreamSpec } from './upstream.js';

export interface ProxySessionsOptions extends Omit<GovernClientOptions, 'onDeny' | 'governor'> {
  governor: Governor;
  /** Started (a command) or reached (a URL) once per session, so sessions share no upstream state. */
  upstream: UpstreamSpec;
  /** A session's run is `<runPrefix>-<session id>`; default `mcp`. */
  runPrefix?: string;
  /** Called with the run once its session is over and its upstream closed. */
  onSessionClosed?: (runId: string) => void | Promise<void>;
}

/**
 * `openSession` for `serveStreamableHttp`: each MCP session gets its own
 * upstream connection and its own governed proxy server, charged to its own run.
 */
export function proxySessions(options: ProxySessionsOptions): (sessionId: string) => Promise<HttpSession> {
  const { upstream: spec, runPrefix = 'mcp', onSessionClosed, ...proxyOptions } = options;
  return async (sessionId) => {
    const upstream = await connectUpstream(spec);
    const runId = `${runPrefix}-${sessionId}`;
    const server = createGovernorProxy({ ...proxyOptions, upstream, runId });
    return {
      server,
      close: async () => {
        await upstream.close().catch(() => undefined);
        await onSessionClosed?.(runId);
      },
    };
  };
}
