import { randomUUID } from 'node:crypto';
import {
  applyPolicy,
  createGovernor,
  deriveScopes,
  type Governor,
  loadPolicyFile,
  MemoryAuthority,
  type Subject,
} from '@governor/core';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { type ProxyConfig, parseProxyArgs } from './args.js';
import { serveStreamableHttp } from './http.js';
import { createGovernorProxy } from './server.js';
import { proxySessions } from './sessions.js';
import { connectUpstream } from './upstream.js';

const log = (message: string) => process.stderr.write(`governor-mcp-proxy: ${message}\n`);

/** Log a run's balances (its own scope and those above it) on stderr. */
async function logBalances(ledger: MemoryAuthority, subject: Subject, runId: string): Promise<void> {
  const scopes = new Set(deriveScopes({ ...subject, run: runId }));
  const { balances } = await ledger.balances({ tenant: subject.tenant, includeChildren: true, limit: 200 });
  log(`balances ${JSON.stringify(balances.filter((b) => scopes.has(b.scope)))}`);
}

/**
 * The `governor-mcp-proxy` command: an embedded ledger provisioned from the
 * budgets file, and the proxy served over stdio (one session, one run) or,
 * with `--http`, over Streamable HTTP (each session its own upstream
 * connection and its own run). A session's balances are logged when it ends.
 */
export async function main(argv: string[]): Promise<void> {
  const config = parseProxyArgs(argv);
  const ledger = new MemoryAuthority();
  const policy = config.budgets ? await loadPolicyFile(config.budgets) : {};
  await applyPolicy(ledger, policy);
  const governor = createGovernor({
    authority: ledger,
    admin: ledger,
    subject: config.subject,
    ...(policy.riskPoints ? { riskPoints: policy.riskPoints } : {}),
  });
  if (config.http) return serveHttp(config, config.http, ledger, governor);
  const upstream = await connectUpstream(config.upstream);
  upstream.onclose = () => log('upstream MCP server disconnected; tool calls now fail until restart');
  const runId = config.runId ?? `mcp-${randomUUID()}`;
  const server = createGovernorProxy({ upstream, governor, runId });
  server.onclose = async () => {
    await logBalances(ledger, config.subject, runId);
    await upstream.close().catch(() => undefined);
    process.exit(0);
  };
  await server.connect(new StdioServerTransport());
  // The host closing our stdin (or a signal) ends the session.
  const stop = () => void server.close();
  process.stdin.once('end', stop);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  log(`serving run ${runId}`);
}

async function serveHttp(
  config: ProxyConfig,
  http: NonNullable<ProxyConfig['http']>,
  ledger: MemoryAuthority,
  governor: Governor,
): Promise<void> {
  const served = await serveStreamableHttp({
    ...http,
    openSession: proxySessions({
      governor,
      upstream: config.upstream,
      runPrefix: config.runId ?? 'mcp',
      onSessionClosed: (runId) => logBalances(ledger, config.subject, runId),
    }),
  });
  const stop = () => void served.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  log(`serving MCP over Streamable HTTP at ${served.url}`);
}
