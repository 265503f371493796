/** The audit trail a command reads: a server's (admin key), a Redis ledger's or a SQLite ledger file's. */
import { type AuditQuery, type AuditTrail, isAuditTrail } from '@governor/core';
import { UsageError } from './args.js';
import { type LedgerFlags, openLedger } from './ledger.js';

export const AUDIT_SOURCE_HELP = `  --server <url>         a Governor server (admin key from --admin-key-file or GOVERNOR_ADMIN_KEY)
  --admin-key-file <file>
  --redis <url>          a Redis ledger
  --prefix <prefix>      the Redis key prefix (default governor)
  --ledger <file>        a SQLite ledger file`;

export const AUDIT_SOURCE_FLAGS = {
  server: { type: 'string' },
  'admin-key-file': { type: 'string' },
  redis: { type: 'string' },
  prefix: { type: 'string' },
  ledger: { type: 'string' },
} as const;

/** Run `fn` on the trail the flags name; closes the ledger after. */
export async function withAuditTrail<T>(
  flags: LedgerFlags,
  fn: (trail: AuditTrail) => Promise<T>,
): Promise<T> {
  if (flags.server === undefined && flags.redis === undefined && flags.ledger === undefined)
    throw new UsageError('--server <url>, --redis <url> or --ledger <file> is required');
  const ledger = await openLedger(flags);
  try {
    if (!isAuditTrail(ledger.authority))
      throw new Error(`the ledger at ${ledger.where} keeps no audit trail`);
    return await fn(ledger.authority);
  } finally {
    await ledger.close();
  }
}

/** Every record matching `query`, page by page. */
export async function* auditRecords(trail: AuditTrail, query: AuditQuery) {
  let after = query.after;
  for (;;) {
    const page = await trail.queryAudit({ ...query, limit: 1_000, ...(after ? { after } : {}) });
    yield* page.records;
    if (!page.hasMore) return;
    after = page.cursor;
  }
}

/** A time flag: milliseconds since the epoch or an ISO date. */
export function timeFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new UsageError(`--${flag}: expected an ISO time or epoch milliseconds, got "${text}"`);
  return ms;
}
