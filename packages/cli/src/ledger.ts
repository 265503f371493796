/**
 * The ledger a command works on: `--redis <url>` (RedisAuthority) or
 * `--ledger <file>` (SqliteAuthority, the durable embedded ledger).
 */
import { existsSync } from 'node:fs';
import type { Ledger } from '@governor/core';
import { SqliteAuthority } from '@governor/sqlite';
import { UsageError } from './args.js';
import { openRedis } from './redis.js';

export interface OpenLedger {
  authority: Ledger;
  /** What it is, for reports: `redis://…` or the file. */
  where: string;
  close(): Promise<void>;
}

export interface LedgerFlags {
  redis?: string | undefined;
  prefix?: string | undefined;
  ledger?: string | undefined;
}

/** UsageError unless exactly one of --redis / --ledger is given (and --prefix only with --redis). */
export function checkLedgerFlags(flags: LedgerFlags, context: string): void {
  if (flags.redis !== undefined && flags.ledger !== undefined) {
    throw new UsageError(`${context}: give --redis <url> or --ledger <file>, not both`);
  }
  if (flags.prefix !== undefined && flags.redis === undefined) throw new UsageError('--prefix needs --redis');
}

/**
 * Open the ledger the flags name. A ledger file is created only when
 * `create` is set (commands that provision); otherwise a missing file is an
 * error rather than a new empty ledger.
 */
export async function openLedger(flags: LedgerFlags, { create = false } = {}): Promise<OpenLedger> {
  if (flags.ledger !== undefined) return openLedgerFile(flags.ledger, create);
  if (flags.redis === undefined) throw new UsageError('--redis <url> or --ledger <file> is required');
  const redis = await openRedis(flags.redis, flags.prefix ?? 'governor');
  return { authority: redis.authority, where: flags.redis, close: () => redis.dispose() };
}

export function openLedgerFile(file: string, create: boolean): OpenLedger {
  if (!create && !existsSync(file)) throw new Error(`no ledger file at ${file}`);
  const authority = new SqliteAuthority({ path: file });
  return { authority, where: file, close: () => authority.close() };
}
