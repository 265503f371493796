/** The flags that name a ledger, checked before anything is loaded or connected. */
import { UsageError } from './args.js';
import { checkRedisUrl } from './redis-url.js';

export interface LedgerFlags {
  server?: string | undefined;
  'admin-key-file'?: string | undefined;
  redis?: string | undefined;
  prefix?: string | undefined;
  ledger?: string | undefined;
}

/**
 * UsageError unless at most one of --server / --redis / --ledger is given,
 * --prefix only with --redis, and the Redis URL is one.
 */
export function checkLedgerFlags(flags: LedgerFlags, context: string): void {
  if ([flags.server, flags.redis, flags.ledger].filter((f) => f !== undefined).length > 1) {
    throw new UsageError(
      `${context}: give one of --server <url>, --redis <url> or --ledger <file>, not both`,
    );
  }
  if (flags.prefix !== undefined && flags.redis === undefined) throw new UsageError('--prefix needs --redis');
  if (flags.redis !== undefined) checkRedisUrl(flags.redis);
}
