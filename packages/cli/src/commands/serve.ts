import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { openServer } from '@governor/server';
import { intFlag, parseFlags, UsageError } from '../args.js';
import type { Io } from '../io.js';

export const SERVE_HELP = `Usage: governor serve [options]

Run a Cycles Protocol v0 server: the runtime plane (/v1/reservations, /v1/decide,
/v1/events, /v1/balances, with X-Cycles-API-Key), the admin plane (/v1/admin/*,
with X-Admin-API-Key), /healthz, /actuator/health/{readiness,liveness} and
Prometheus /metrics (admin key), and the operator console at /console/ (a web page
that asks for the admin key: budgets, the live decision stream, runs, fund /
freeze / force-release).

Options:
  --redis <url>            keep the ledger, tenants and keys in Redis (RedisAuthority);
                           default: in memory, lost on exit
  --prefix <prefix>        the Redis key prefix (default governor)
  --port <n>               default 7878 (0: any free port)
  --host <host>            default 127.0.0.1
  --admin-key-file <file>  the admin key, else GOVERNOR_ADMIN_KEY; without either, a key
                           for this run is generated and printed
  --rate-limit <n>         requests per second per API key (default 2000; 0 for none)
  --body-limit <bytes>     largest request body (default 65536)
  --no-console             do not serve the operator console
  --webhooks-allow-private allow webhook receivers on loopback, private or link-local
                           addresses (a receiver next to the server); refused by default
  --webhooks-allow-http    allow http:// webhook receivers (https only by default)
  --tenant-keys-decide-approvals
                           let a tenant's API key approve or reject its own tenant's
                           approvals (e.g. an MCP host's user); the admin key only by default
  -h, --help               show this help

Create a tenant and a key with \`governor tenants create <id>\` and
\`governor keys create --tenant <id>\` (--server <url>).
`;

export async function serveCommand(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
  const { values } = parseFlags(argv, {
    redis: { type: 'string' },
    prefix: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'admin-key-file': { type: 'string' },
    'rate-limit': { type: 'string' },
    'body-limit': { type: 'string' },
    'no-console': { type: 'boolean' },
    'webhooks-allow-private': { type: 'boolean' },
    'webhooks-allow-http': { type: 'boolean' },
    'tenant-keys-decide-approvals': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.out(SERVE_HELP);
    return 0;
  }
  if (values.redis !== undefined && !/^rediss?:\/\//.test(values.redis)) {
    throw new UsageError(`--redis: expected a redis:// or rediss:// URL, got "${values.redis}"`);
  }
  if (values.prefix !== undefined && values.redis === undefined)
    throw new UsageError('--prefix needs --redis');
  const port = intFlag('port', values.port, 7878);
  if (port > 65_535) throw new UsageError(`--port: expected a port up to 65535, got "${values.port}"`);
  const rate = intFlag('rate-limit', values['rate-limit'], 2_000);
  const bodyLimit = intFlag('body-limit', values['body-limit'], 64 * 1024, 256);

  let adminKey = process.env.GOVERNOR_ADMIN_KEY;
  const file = values['admin-key-file'];
  if (file !== undefined) {
    try {
      adminKey = readFileSync(file, 'utf8').trim();
    } catch {
      throw new UsageError(`--admin-key-file: cannot read ${file}`);
    }
    if (!adminKey) throw new UsageError(`--admin-key-file: ${file} is empty`);
  }
  let generated = false;
  if (!adminKey) {
    adminKey = `gov_admin_${randomBytes(24).toString('base64url')}`;
    generated = true;
  }

  const server = await openServer({
    ...(values.redis !== undefined ? { redis: values.redis } : {}),
    ...(values.prefix !== undefined ? { keyPrefix: values.prefix } : {}),
    adminKey,
    bodyLimit,
    rateLimit: rate === 0 ? false : { max: rate, timeWindowMs: 1_000 },
    console: values['no-console'] !== true,
    tenantKeysDecideApprovals: values['tenant-keys-decide-approvals'] === true,
    webhooks: {
      allowPrivateTargets: values['webhooks-allow-private'] === true,
      allowHttp: values['webhooks-allow-http'] === true,
    },
  });
  const url = await server.listen({ port, host: values.host ?? '127.0.0.1' });
  const ledger =
    server.kind === 'redis' ? `RedisAuthority at ${values.redis}` : 'MemoryAuthority (in memory)';
  io.out(`Governor server listening on ${url} (${ledger})`);
  if (values['no-console'] !== true) io.out(`Operator console: ${url}/console/`);
  if (generated) {
    io.out(`Admin key for this run (set GOVERNOR_ADMIN_KEY to choose one): ${adminKey}`);
  }

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  await server.close();
  io.out('Governor server stopped');
  return 0;
}
