import { randomUUID } from 'node:crypto';
import { applyPolicy, createGovernor, deriveScopes, loadPolicyFile, MemoryAuthority } from '@governor/core';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { parseProxyArgs } from './args.js';
import { createGovernorProxy } from './server.js';
import { connectUpstream } from './upstream.js';

const log = (message: string) => process.stderr.write(`governor-mcp-proxy: ${message}\n`);

/**
 * The `governor-mcp-proxy` command: an embedded ledger provisioned from the
 * budgets file, the upstream started (or reached), and the proxy served over
 * stdio as one session, i.e. one run. On exit it logs the run's balances.
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
  const upstream = await connectUpstream(config.upstream);
  upstream.onclose = () => log('upstream MCP server disconnected; tool calls now fail until restart');
  const runId = config.runId ?? `mcp-${randomUUID()}`;
  const server = createGovernorProxy({ upstream, governor, runId });
  server.onclose = async () => {
    const scopes = new Set(deriveScopes({ ...config.subject, run: runId }));
    const { balances } = await ledger.balances({
      tenant: config.subject.tenant,
      includeChildren: true,
      limit: 200,
    });
    log(`balances ${JSON.stringify(balances.filter((b) => scopes.has(b.scope)))}`);
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
