import { intFlag, parseFlags, UsageError } from '../args.js';
import type { Io } from '../io.js';
import { checkLedgerFlags } from '../ledger-flags.js';
import { SERVER_OPTIONS_HELP } from '../server-client.js';
import type { WatchSource } from '../watch/source.js';

export const WATCH_HELP = `Usage: governor watch (--server <url> | --redis <url>) [options]

The live view in a terminal: the balances and the decision stream as they
change — DENY in red and capped calls in yellow on a terminal (NO_COLOR turns
colour off). Stop it with Ctrl-C.

${SERVER_OPTIONS_HELP}
                          (the server pushes its audit trail over its live stream)
  --redis <url>           a Redis ledger's audit trail, read directly (every 200 ms)
  --prefix <prefix>       the Redis key prefix (default governor)
  --tenant <id>           only this tenant
  --lines <n>             decisions kept on screen (default 20)
  --once                  print the balances and the latest decisions once, and exit
  -h, --help              show this help
`;

/** `governor watch`; `signal` stops it (tests, embedding) as Ctrl-C does. */
export async function watchCommand(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
  const { values } = parseFlags(argv, {
    server: { type: 'string' },
    'admin-key-file': { type: 'string' },
    redis: { type: 'string' },
    prefix: { type: 'string' },
    tenant: { type: 'string' },
    lines: { type: 'string' },
    once: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.out(WATCH_HELP);
    return 0;
  }
  checkLedgerFlags(values, 'watch');
  const lines = intFlag('lines', values.lines, 20, 1);
  const source = await openSource(values);
  try {
    const { watch } = await import('../watch/watch.js');
    await watch(source, io, { tenant: values.tenant, lines, once: values.once === true, signal });
  } finally {
    await source.close();
  }
  return 0;
}

async function openSource(flags: {
  server?: string | undefined;
  'admin-key-file'?: string | undefined;
  redis?: string | undefined;
  prefix?: string | undefined;
}): Promise<WatchSource> {
  const { serverUrl, adminKeyOf } = await import('../server-client.js');
  const url = flags.redis === undefined ? serverUrl(flags) : undefined;
  if (url !== undefined) {
    const { serverSource } = await import('../watch/source.js');
    return serverSource(url, adminKeyOf(flags));
  }
  if (flags.redis === undefined) throw new UsageError('--server <url> or --redis <url> is required');
  const [{ openRedis }, { isAuditTrail }, { trailSource }] = await Promise.all([
    import('../redis.js'),
    import('@governor/core'),
    import('../watch/source.js'),
  ]);
  const redis = await openRedis(flags.redis, flags.prefix ?? 'governor');
  const trail: unknown = redis.authority;
  if (!isAuditTrail(trail)) {
    await redis.dispose();
    throw new Error(`the Redis ledger at ${redis.where} keeps no audit trail, so there is nothing to watch`);
  }
  return trailSource(redis.authority, trail, redis.where, () => redis.dispose());
}
