/**
 * Audit queries shared by every ledger: validation, the filter, and cursors.
 * A cursor is a position per tenant (the id of the last record returned), so
 * a query across tenants can go on from where it stopped in each of them.
 */
import { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import { DECISIONS } from '../protocol/types.js';
import { validateRequest } from '../protocol/validate.js';
import { AUDIT_OPERATIONS, type AuditEntry, type AuditQuery, type AuditRecord } from './types.js';

export const AUDIT_ALL_TENANTS = '*';
export const DEFAULT_AUDIT_LIMIT = 100;

const auditQuerySchema = z.strictObject({
  tenant: z.string().min(1).max(128).optional(),
  scopePrefix: z.string().min(1).max(1024).optional(),
  run: z.string().min(1).max(128).optional(),
  reservationId: z.string().min(1).max(256).optional(),
  decision: z.enum(DECISIONS).optional(),
  actionName: z.string().min(1).max(256).optional(),
  operation: z.enum(AUDIT_OPERATIONS).optional(),
  fromMs: z.number().int().nonnegative().optional(),
  toMs: z.number().int().nonnegative().optional(),
  after: z.string().max(65_536).optional(),
  limit: z.number().int().min(1).max(1_000).optional(),
});

export interface ParsedAuditQuery extends AuditQuery {
  limit: number;
  /** Position per tenant to go on after. */
  positions: Map<string, string>;
}

export function parseAuditQuery(input: AuditQuery = {}): ParsedAuditQuery {
  const q = validateRequest(auditQuerySchema, input) as AuditQuery;
  return { ...q, limit: q.limit ?? DEFAULT_AUDIT_LIMIT, positions: decodeCursor(q.after) };
}

export function encodeCursor(positions: Map<string, string>): string {
  return Buffer.from(JSON.stringify(Object.fromEntries(positions))).toString('base64url');
}

function decodeCursor(cursor: string | undefined): Map<string, string> {
  if (!cursor) return new Map();
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const entries = Object.entries(parsed as Record<string, unknown>);
      if (entries.every(([, v]) => typeof v === 'string')) return new Map(entries as [string, string][]);
    }
  } catch {}
  throw new InvalidRequestError([{ path: 'after', message: 'is not a cursor this ledger gave' }]);
}

/** Does `e` match the query's filters (tenant and cursor aside)? */
export function matchesAudit(e: AuditEntry, q: AuditQuery): boolean {
  if (q.fromMs !== undefined && e.atMs < q.fromMs) return false;
  if (q.toMs !== undefined && e.atMs >= q.toMs) return false;
  if (q.decision !== undefined && e.decision !== q.decision) return false;
  if (q.operation !== undefined && e.operation !== q.operation) return false;
  if (q.reservationId !== undefined && e.reservationId !== q.reservationId) return false;
  if (q.actionName !== undefined && e.action?.name !== q.actionName) return false;
  if (q.run !== undefined && e.subject?.run !== q.run) return false;
  if (q.scopePrefix !== undefined) {
    const p = q.scopePrefix;
    if (!e.scopePath?.startsWith(p) && !e.scopes.some((s) => s.scope.startsWith(p))) return false;
  }
  return true;
}

/** Order across tenants: ledger time, then tenant, then position. */
export const byTime = (a: AuditRecord, b: AuditRecord): number =>
  a.atMs - b.atMs || (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0);

/**
 * One page of `q` from each tenant's records after its cursor (oldest first,
 * sync or async): at most `limit` matches per tenant — one more tells there is
 * more — then merged by time. Every ledger's `queryAudit`.
 */
export async function collectPage(
  tenants: Iterable<string>,
  recordsAfter: (tenant: string) => Iterable<AuditRecord> | AsyncIterable<AuditRecord>,
  q: ParsedAuditQuery,
): Promise<{ records: AuditRecord[]; cursor: string; hasMore: boolean }> {
  const candidates = new Map<string, AuditRecord[]>();
  const more = new Set<string>();
  for (const tenant of tenants) {
    const found: AuditRecord[] = [];
    for await (const r of recordsAfter(tenant)) {
      if (!matchesAudit(r, q)) continue;
      if (found.length === q.limit) {
        more.add(tenant);
        break;
      }
      found.push(r);
    }
    if (found.length > 0) candidates.set(tenant, found);
  }
  return mergePage(candidates, q, (t) => more.has(t));
}

/**
 * One page from per-tenant candidate lists (each oldest first, already past the
 * cursor and filtered, at most `limit + 1` each): merged by time, cut at `limit`.
 */
export function mergePage(
  candidates: Map<string, AuditRecord[]>,
  q: ParsedAuditQuery,
  moreIn: (tenant: string) => boolean,
): { records: AuditRecord[]; cursor: string; hasMore: boolean } {
  const all = [...candidates.values()].flat().sort(byTime);
  const records = all.slice(0, q.limit);
  const positions = new Map(q.positions);
  for (const r of records) positions.set(r.tenant, r.id);
  const hasMore = all.length > q.limit || [...candidates.keys()].some(moreIn);
  return { records, cursor: encodeCursor(positions), hasMore };
}
