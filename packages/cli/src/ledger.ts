/**
 * The ledger a command works on: `--server <url>` (a Governor server's admin
 * plane), `--redis <url>` (RedisAuthority) or `--ledger <file>`
 * (SqliteAuthority, the durable embedded ledger). Each is loaded only when
 * asked for.
 */
import { existsSync } from 'node:fs';
import type { Ledger, LedgerAdmin } from '@governor/core';
import type { HttpLedgerAdmin } from '@governor/http';
import { UsageError } from './args.js';
import { checkLedgerFlags, type LedgerFlags } from './ledger-flags.js';

export { checkLedgerFlags, type LedgerFlags } from './ledger-flags.js';

export interface OpenLedger<L extends LedgerAdmin = LedgerAdmin> {
  authority: L;
  /** The server's admin client, when the ledger is a server's. */
  server?: HttpLedgerAdmin;
  /** What it is, for reports: `redis://…` or the file. */
  where: string;
  close(): Promise<void>;
}

/**
 * Open the ledger the flags name. A ledger file is created only when
 * `create` is set (commands that provision); otherwise a missing file is an
 * error rather than a new empty ledger.
 */
export async function openLedger(flags: LedgerFlags, { create = false } = {}): Promise<OpenLedger> {
  checkLedgerFlags(flags, 'ledger');
  if (flags.server !== undefined) {
    const { openAdmin } = await import('./server-client.js');
    const admin = openAdmin(flags);
    return { authority: admin, server: admin, where: flags.server, close: () => admin.dispose() };
  }
  if (flags.ledger !== undefined) return openLedgerFile(flags.ledger, create);
  if (flags.redis === undefined)
    throw new UsageError('--server <url>, --redis <url> or --ledger <file> is required');
  const { openRedis } = await import('./redis.js');
  const redis = await openRedis(flags.redis, flags.prefix ?? 'governor');
  return { authority: redis.authority, where: redis.where, close: () => redis.dispose() };
}

export async function openLedgerFile(file: string, create: boolean): Promise<OpenLedger<Ledger>> {
  if (!create && !existsSync(file)) throw new Error(`no ledger file at ${file}`);
  const { SqliteAuthority } = await import('@governor/sqlite');
  const authority = new SqliteAuthority({ path: file });
  return { authority, where: file, close: () => authority.close() };
}
