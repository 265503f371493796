/**
 * The ledger a command works on: `--server <url>` (a Governor server's admin
 * plane), `--redis <url>` (RedisAuthority) or `--ledger <file>`
 * (SqliteAuthority, the durable embedded ledger).
 */
import { existsSync } from 'node:fs';
import type { Ledger, LedgerAdmin } from '@governor/core';
import type { HttpLedgerAdmin } from '@governor/http';
import { SqliteAuthority } from '@governor/sqlite';
import { UsageError } from './args.js';
import { openRedis } from './redis.js';
import { openAdmin } from './server-client.js';

export interface OpenLedger<L extends LedgerAdmin = LedgerAdmin> {
  authority: L;
  /** The server's admin client, when the ledger is a server's. */
  server?: HttpLedgerAdmin;
  /** What it is, for reports: `redis://…` or the file. */
  where: string;
  close(): Promise<void>;
}

export interface LedgerFlags {
  server?: string | undefined;
  'admin-key-file'?: string | undefined;
  redis?: string | undefined;
  prefix?: string | undefined;
  ledger?: string | undefined;
}

/** UsageError unless at most one of --server / --redis / --ledger is given (and --prefix only with --redis). */
export function checkLedgerFlags(flags: LedgerFlags, context: string): void {
  if ([flags.server, flags.redis, flags.ledger].filter((f) => f !== undefined).length > 1) {
    throw new UsageError(
      `${context}: give one of --server <url>, --redis <url> or --ledger <file>, not both`,
    );
  }
  if (flags.prefix !== undefined && flags.redis === undefined) throw new UsageError('--prefix needs --redis');
}

/**
 * Open the ledger the flags name. A ledger file is created only when
 * `create` is set (commands that provision); otherwise a missing file is an
 * error rather than a new empty ledger.
 */
export async function openLedger(flags: LedgerFlags, { create = false } = {}): Promise<OpenLedger> {
  if (flags.server !== undefined) {
    const admin = openAdmin(flags);
    return { authority: admin, server: admin, where: flags.server, close: () => admin.dispose() };
  }
  if (flags.ledger !== undefined) return openLedgerFile(flags.ledger, create);
  if (flags.redis === undefined) throw new UsageError('--redis <url> or --ledger <file> is required');
  const redis = await openRedis(flags.redis, flags.prefix ?? 'governor');
  return { authority: redis.authority, where: flags.redis, close: () => redis.dispose() };
}

export function openLedgerFile(file: string, create: boolean): OpenLedger<Ledger> {
  if (!create && !existsSync(file)) throw new Error(`no ledger file at ${file}`);
  const authority = new SqliteAuthority({ path: file });
  return { authority, where: file, close: () => authority.close() };
}
