import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { serveOnInitialize } from './defer.js';
import type { Running } from './main.js';
import { openProxySession, type ProxySession, runFor } from './sessions.js';

/**
 * Serve one session over stdio until the host closes it (exit 0), the
 * upstream exits for good (exit 1), or a message is over the SDK's 10 MiB
 * stdio limit (a JSON-RPC error on stdout, exit 1).
 */
export function serveStdio(running: Running, sessionId: string): Promise<number> {
  const { config, log } = running;
  const runId = runFor(config.run, sessionId);
  const governor = running.governorFor();
  const transport = new StdioServerTransport();
  let session: ProxySession | undefined;
  let code = 0;
  let stopping: Promise<number> | undefined;
  return new Promise<number>((resolve) => {
    const stop = (exit: number) => {
      code = Math.max(code, exit);
      stopping ??= (async () => {
        await session?.close();
        await running.logBalances(governor.subject, runId);
        await running.shutdown();
        return code;
      })();
      void stopping.then(resolve);
    };
    void serveOnInitialize(
      transport,
      async (init) => {
        session = await openProxySession(init, {
          governor,
          upstream: config.upstream,
          runId,
          timeoutMs: config.timeoutMs,
          approvals: config.approvals,
          onUpstreamExit: config.onUpstreamExit,
          onFatal: (error) => {
            log(error.message);
            stop(1);
          },
          log,
          ledger: running.ledger.authority,
        });
        session.server.onclose = () => stop(0);
        return session.server;
      },
      () => stop(0),
    );
    const relayErrors = transport.onerror;
    transport.onerror = (error) => {
      if (/exceeded maximum size/.test(error.message)) {
        const message = `message too large: over the 10 MiB stdio limit (${error.message}); the session is closed`;
        process.stdout.write(
          `${JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.InvalidRequest, message } })}\n`,
        );
        log(message);
        code = 1;
      }
      relayErrors?.(error);
    };
    process.stdin.once('end', () => stop(0));
    process.once('SIGTERM', () => stop(0));
    process.once('SIGINT', () => stop(0));
    log(`serving run ${runId} over stdio`);
  });
}
