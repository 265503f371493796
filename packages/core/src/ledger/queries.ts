/**
 * Filtering, ordering and paging for `balances` and `listReservations`, over
 * plain arrays. Cursors are opaque to callers: an offset bound to the filter
 * that produced it.
 */
import { canonicalJson } from '../canonical-json.js';
import { InvalidRequestError } from '../errors.js';
import type { BalanceQuery, ReservationDetail, ReservationListQuery } from '../protocol/messages.js';
import { SUBJECT_LEVELS, type Subject, type SubjectLevel } from '../protocol/types.js';
import type { BudgetState } from './rules.js';

export interface Page<T> {
  items: T[];
  nextCursor?: string;
  hasMore?: boolean;
}

function filterHash(filter: object): string {
  let h = 0;
  for (const ch of canonicalJson(filter)) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return (h >>> 0).toString(36);
}

/** One page of `items` (already filtered and ordered) for `cursor` and `limit`. */
export function paginate<T>(items: T[], filter: object, cursor: string | undefined, limit = 50): Page<T> {
  const hash = filterHash(filter);
  let offset = 0;
  if (cursor) {
    const [o, h] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
    offset = Number(o);
    if (h !== hash || !Number.isSafeInteger(offset) || offset < 0) {
      throw new InvalidRequestError([{ path: 'cursor', message: 'is not a cursor for this query' }]);
    }
  }
  const page = items.slice(offset, offset + limit);
  const next = offset + page.length;
  if (next >= items.length) return { items: page };
  return { items: page, nextCursor: Buffer.from(`${next}:${hash}`).toString('base64url'), hasMore: true };
}

function levelsOfScope(scope: string): Map<string, string> {
  const levels = new Map<string, string>();
  for (const part of scope.split('/')) {
    const colon = part.indexOf(':');
    levels.set(part.slice(0, colon), part.slice(colon + 1));
  }
  return levels;
}

/**
 * Does a budget at `scope` match a balance filter? Every level the filter
 * names must match; without `includeChildren` the scope must also end at the
 * filter's deepest level.
 */
export function scopeMatchesFilter(scope: string, query: BalanceQuery): boolean {
  const levels = levelsOfScope(scope);
  let deepest: SubjectLevel | undefined;
  for (const level of SUBJECT_LEVELS) {
    const wanted = query[level];
    if (wanted === undefined) continue;
    if (levels.get(level) !== wanted) return false;
    deepest = level;
  }
  if (query.includeChildren) return true;
  const last = scope.slice(scope.lastIndexOf('/') + 1);
  return last.slice(0, last.indexOf(':')) === deepest;
}

/** The budgets a balance query selects, ordered by scope then unit, one page of them. */
export function queryBudgets(all: Iterable<BudgetState>, query: BalanceQuery): Page<BudgetState> {
  const rows = [...all].filter((b) => scopeMatchesFilter(b.scope, query));
  rows.sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : a.unit < b.unit ? -1 : 1));
  const { cursor, limit, ...filter } = query;
  return paginate(rows, filter, cursor, limit);
}

/** The paging members of an answer: `nextCursor` and `hasMore` when there is more. */
export function pageTail(page: Page<unknown>): { nextCursor?: string; hasMore?: boolean } {
  return page.nextCursor ? { nextCursor: page.nextCursor, hasMore: true } : {};
}

const parseBound = (s: string | undefined) => (s?.trim() ? Date.parse(s) : undefined);
const within = (v: number | undefined, from: number | undefined, to: number | undefined) =>
  (from === undefined || (v !== undefined && v >= from)) &&
  (to === undefined || (v !== undefined && v <= to));

function matchesSubject(subject: Subject, query: ReservationListQuery): boolean {
  return SUBJECT_LEVELS.every((l) => query[l] === undefined || subject[l] === query[l]);
}

const SORT_VALUE: Record<string, (r: ReservationDetail) => string | number> = {
  reservation_id: (r) => r.reservationId,
  tenant: (r) => r.subject.tenant,
  scope_path: (r) => r.scopePath,
  status: (r) => r.status,
  reserved: (r) => r.reserved.amount,
  created_at_ms: (r) => r.createdAtMs,
  expires_at_ms: (r) => r.expiresAtMs,
};

/** Filter, order, project and page reservations as `listReservations` defines. */
export function queryReservations(
  all: Iterable<ReservationDetail>,
  query: ReservationListQuery,
): Page<ReservationDetail> {
  const created = [parseBound(query.from), parseBound(query.to)] as const;
  const expires = [parseBound(query.expiresFrom), parseBound(query.expiresTo)] as const;
  const finalized = [parseBound(query.finalizedFrom), parseBound(query.finalizedTo)] as const;
  const rows: ReservationDetail[] = [];
  for (const r of all) {
    if (query.status && r.status !== query.status) continue;
    if (query.idempotencyKey && r.idempotencyKey !== query.idempotencyKey) continue;
    if (!matchesSubject(r.subject, query)) continue;
    if (!within(r.createdAtMs, ...created) || !within(r.expiresAtMs, ...expires)) continue;
    if ((finalized[0] !== undefined || finalized[1] !== undefined) && !within(r.finalizedAtMs, ...finalized))
      continue;
    rows.push(r);
  }
  const value = SORT_VALUE[query.sortBy ?? 'created_at_ms'] as (r: ReservationDetail) => string | number;
  const sign = (query.sortDir ?? 'desc') === 'asc' ? 1 : -1;
  rows.sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va !== vb) return va < vb ? -sign : sign;
    return a.reservationId < b.reservationId ? -sign : a.reservationId > b.reservationId ? sign : 0;
  });
  const include = new Set((query.include ?? []).map((t) => t.trim()));
  const { cursor, limit, include: _projection, ...filter } = query;
  const page = paginate(rows, filter, cursor, limit);
  page.items = page.items.map((r) => {
    const { metadata, committedMetadata, ...row } = r;
    return {
      ...row,
      ...(include.has('metadata') && metadata ? { metadata } : {}),
      ...(include.has('committed_metadata') && committedMetadata ? { committedMetadata } : {}),
    };
  });
  return page;
}
