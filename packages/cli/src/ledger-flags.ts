/** The flags that name a ledger, checked before anything is loaded or connected. */
import { UsageError } from './args.js';
import { checkRedisUrl } from './redis-url.js';

export interface LedgerFlags {
  redis?: string | undefined;
  prefix?: string | undefined;
  ledger?: string | undefined;
}

/**
 * UsageError unless at most one of --redis / --ledger is given, --prefix only
 * with --redis, and the Redis URL is one.
 */
export function checkLedgerFlags(flags: LedgerFlags, context: string): void {
  if (flags.redis !== undefined && flags.ledger !== undefined) {
    throw new UsageError(`${context}: give --redis <url> or --ledger <file>, not both`);
  }
  if (flags.prefix !== undefined && flags.redis === undefined) throw new UsageError('--prefix needs --redis');
  if (flags.redis !== undefined) checkRedisUrl(flags.redis);
}
