/** Reads and listings: balances, one reservation, reservation pages; every tenant swept first. */
import {
  type BalanceQuery,
  type BalanceResponse,
  NotFoundError,
  type ReservationDetail,
  ReservationExpiredError,
  type ReservationListQuery,
  type ReservationListResponse,
  schemas as S,
  type Unit,
  validateRequest,
} from '@governor/core';
import {
  type BudgetState,
  paginate,
  queryReservations,
  scopeMatchesFilter,
  toBalance,
} from '@governor/core/ledger';
import type { LedgerParts } from './ledger-parts.js';
import { clockMs, periodViews } from './periods.js';
import { BUDGET_FIELDS, budgetOfFields, detailOf } from './records.js';
import type { RedisCalls } from './redis-calls.js';

/** The budget at `key`, undefined when there is none. */
export async function loadBudget(calls: RedisCalls, key: string): Promise<BudgetState | undefined> {
  return budgetOfFields(await calls.redis(() => calls.client.hmget(key, ...BUDGET_FIELDS)));
}

/** Every budget of `tenant`, by scope then unit. */
export async function budgetsOf(calls: RedisCalls, tenant: string): Promise<BudgetState[]> {
  const { client, keys } = calls;
  const members = await calls.redis(() => client.smembers(keys.budgetIndex(tenant)));
  const out: BudgetState[] = [];
  for (const m of members.sort()) {
    const [scope, unit] = m.split('\n') as [string, Unit];
    const b = await loadBudget(calls, keys.budget(tenant, scope, unit));
    if (b) out.push(b);
  }
  return out;
}

export class RedisListing {
  constructor(readonly parts: LedgerParts) {}

  async balances(input: BalanceQuery): Promise<BalanceResponse> {
    const { calls, sweep, tenants } = this.parts;
    const query: BalanceQuery = validateRequest(S.balanceQuery, input);
    const all = query.tenant ? [query.tenant] : await tenants.all();
    const rows: BudgetState[] = [];
    for (const tenant of all) {
      await sweep.tenant(tenant);
      const budgets = periodViews(await budgetsOf(calls, tenant), await clockMs(calls));
      for (const b of budgets) if (scopeMatchesFilter(b.scope, query)) rows.push(b);
    }
    rows.sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : a.unit < b.unit ? -1 : 1));
    const { cursor, limit, ...filter } = query;
    const page = paginate(rows, filter, cursor, limit);
    const tail = page.nextCursor ? { nextCursor: page.nextCursor, hasMore: true } : {};
    return { balances: page.items.map(toBalance), ...tail };
  }

  async getReservation(reservationId: string): Promise<ReservationDetail> {
    const { calls, keys, sweep, tenants } = this.parts;
    const id = validateRequest(S.reservationId, reservationId, ['reservationId']);
    const tenant = await tenants.ofReservation(id);
    if (tenant === undefined) throw new NotFoundError(`Reservation ${id} not found`);
    await sweep.tenant(tenant);
    const raw = await calls.redis(() => calls.client.hgetall(keys.reservation(tenant, id)));
    if (!raw.detail) throw new NotFoundError(`Reservation ${id} not found`);
    const detail = detailOf(raw);
    if (detail.status === 'EXPIRED') throw new ReservationExpiredError(`Reservation ${id} has expired`);
    return detail;
  }

  async listReservations(input: ReservationListQuery = {}): Promise<ReservationListResponse> {
    const { calls, keys, sweep, tenants } = this.parts;
    const query: ReservationListQuery = validateRequest(S.reservationListQuery, input);
    const all = query.tenant ? [query.tenant] : await tenants.all();
    const fast = await this.#listByCreation(all, query);
    if (fast) return fast;
    const details: ReservationDetail[] = [];
    for (const tenant of all) {
      await sweep.tenant(tenant);
      const index = keys.reservationIndex(tenant);
      const ids = await calls.redis(() => calls.client.zrange(index, '0', '-1'));
      if (ids.length === 0) continue;
      const hashes = await this.#hashesOf(ids.map((id) => keys.reservation(tenant, id)));
      const gone: string[] = [];
      hashes.forEach((hash, i) => {
        if (hash.detail) details.push(detailOf(hash));
        else gone.push(ids[i] as string);
      });
      if (gone.length > 0) await calls.redis(() => calls.client.zrem(index, ...gone));
    }
    const page = queryReservations(details, query);
    const tail = page.nextCursor ? { nextCursor: page.nextCursor, hasMore: true } : {};
    return { reservations: page.items, ...tail };
  }

  /**
   * The common listing — ordered by creation, filtered by tenant and at most
   * status ACTIVE — without loading every reservation: order and page the ids
   * from the index (same ordering and cursors as queryReservations), then
   * read only the page. Undefined when the query needs the general path.
   */
  async #listByCreation(
    tenants: string[],
    query: ReservationListQuery,
  ): Promise<ReservationListResponse | undefined> {
    const { calls, keys, sweep } = this.parts;
    const { cursor, limit, include, sortDir, status, tenant: _t, sortBy, ...rest } = query;
    if ((sortBy ?? 'created_at_ms') !== 'created_at_ms') return undefined;
    if (status !== undefined && status !== 'ACTIVE') return undefined;
    if (Object.values(rest).some((v) => v !== undefined)) return undefined;
    const rows: { id: string; tenant: string; at: number }[] = [];
    for (const tenant of tenants) {
      await sweep.tenant(tenant);
      const [indexed, live] = await calls.redis(() =>
        Promise.all([
          calls.client.zrange(keys.reservationIndex(tenant), '0', '-1', 'WITHSCORES'),
          calls.client.zrange(keys.expiry(tenant), '0', '-1'),
        ]),
      );
      const liveIds = new Set(live);
      for (let i = 0; i < indexed.length; i += 2) {
        const id = indexed[i] as string;
        if (status === 'ACTIVE' && !liveIds.has(id)) continue;
        rows.push({ id, tenant, at: Number(indexed[i + 1]) });
      }
    }
    const sign = (sortDir ?? 'desc') === 'asc' ? 1 : -1;
    rows.sort((a, b) =>
      a.at !== b.at ? (a.at < b.at ? -sign : sign) : a.id < b.id ? -sign : a.id > b.id ? sign : 0,
    );
    const { cursor: _c, limit: _l, include: _i, ...filter } = query;
    const page = paginate(rows, filter, cursor, limit);
    const hashes = await this.#hashesOf(page.items.map((r) => keys.reservation(r.tenant, r.id)));
    const wanted = new Set((include ?? []).map((t) => t.trim()));
    const reservations: ReservationDetail[] = [];
    for (const hash of hashes) {
      if (!hash.detail) continue;
      const { metadata, committedMetadata, ...row } = detailOf(hash);
      reservations.push({
        ...row,
        ...(wanted.has('metadata') && metadata ? { metadata } : {}),
        ...(wanted.has('committed_metadata') && committedMetadata ? { committedMetadata } : {}),
      });
    }
    const tail = page.nextCursor ? { nextCursor: page.nextCursor, hasMore: true } : {};
    return { reservations, ...tail };
  }

  /** HGETALL of `keys`, in order (each call routed to its own slot on a Cluster). */
  #hashesOf(keys: string[]): Promise<Record<string, string>[]> {
    const { calls } = this.parts;
    return calls.redis(() => Promise.all(keys.map((key) => calls.client.hgetall(key))));
  }
}
