import type { HttpConfig } from './args.js';
import { loadTokens } from './auth.js';
import { serveStreamableHttp } from './http.js';
import type { Running } from './main.js';
import { proxySessions } from './sessions.js';

/** Serve Streamable HTTP until a signal (exit 0, every session's balances logged) or a fatal upstream exit (1). */
export async function serveHttp(running: Running, http: HttpConfig): Promise<number> {
  const { config, log } = running;
  const tokens = await loadTokens(http.authToken, http.authTokensFile, config.subject.tenant);
  let fatal: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    fatal = resolve;
  });
  const served = await serveStreamableHttp({
    port: http.port,
    host: http.host,
    idleTimeoutMs: http.idleTimeoutMs,
    maxSessions: http.maxSessions,
    maxBodyBytes: http.maxBodyBytes,
    allowedHosts: http.allowedHosts,
    allowedOrigins: http.allowedOrigins,
    ...(tokens ? { tokens } : {}),
    openSession: proxySessions({
      governor: running.governorFor,
      upstream: config.upstream,
      run: config.run,
      timeoutMs: config.timeoutMs,
      approvals: config.approvals,
      onUpstreamExit: config.onUpstreamExit,
      onFatal: (error) => {
        log(error.message);
        fatal(1);
      },
      log,
      ledger: running.ledger.authority,
      onSessionClosed: (runId, governor) => running.logBalances(governor.subject, runId),
    }),
  });
  process.once('SIGTERM', () => fatal(0));
  process.once('SIGINT', () => fatal(0));
  log(`serving MCP over Streamable HTTP at ${served.url}${tokens ? ' (bearer tokens required)' : ''}`);
  const code = await done;
  await served.close();
  await running.shutdown();
  return code;
}
