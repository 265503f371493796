/**
 * Where `governor watch` reads: a server (its admin plane for the balances,
 * its live audit stream, pushed over SSE) or a ledger's audit trail read
 * directly (polled).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { AuditPage, AuditQuery, AuditRecord, AuditTrail, BudgetInfo, LedgerAdmin } from '@governor/core';

export interface WatchSource {
  /** What it is, for the header line. */
  where: string;
  budgets(tenant?: string): Promise<BudgetInfo[]>;
  query(q: AuditQuery): Promise<AuditPage>;
  /** Records after `after`, as they are appended, until `signal` aborts. */
  follow(after: string, tenant: string | undefined, signal: AbortSignal): AsyncIterable<AuditRecord>;
  close(): Promise<void>;
}

/** How often a trail read directly is looked at. */
export const POLL_MS = 200;

/** The last `count` records of the trail, and the cursor to follow it from. */
export async function recent(
  source: WatchSource,
  tenant: string | undefined,
  count: number,
): Promise<{ records: AuditRecord[]; cursor: string }> {
  const base = tenant !== undefined ? { tenant } : {};
  let records: AuditRecord[] = [];
  let page = await source.query({ ...base, limit: 1_000 });
  for (;;) {
    records = [...records, ...page.records].slice(-count);
    if (!page.hasMore) return { records, cursor: page.cursor };
    page = await source.query({ ...base, after: page.cursor, limit: 1_000 });
  }
}

/** Wait `ms`, or less when `signal` aborts. */
const sleep = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }).catch(() => {});

/** Follow a trail by asking it for what came after the cursor, every POLL_MS. */
export async function* pollTrail(
  trail: AuditTrail,
  after: string,
  tenant: string | undefined,
  signal: AbortSignal,
): AsyncGenerator<AuditRecord> {
  let cursor = after;
  while (!signal.aborted) {
    const page = await trail.queryAudit({
      ...(tenant !== undefined ? { tenant } : {}),
      after: cursor,
      limit: 1_000,
    });
    cursor = page.cursor;
    yield* page.records;
    if (!page.hasMore) await sleep(POLL_MS, signal);
  }
}

/** A ledger's budgets and its trail (RedisAuthority), read directly. */
export function trailSource(
  ledger: LedgerAdmin,
  trail: AuditTrail,
  where: string,
  close: () => Promise<void>,
): WatchSource {
  return {
    where,
    budgets: (tenant) => ledger.listBudgets(tenant !== undefined ? { tenant } : {}),
    query: (q) => trail.queryAudit(q),
    follow: (after, tenant, signal) => pollTrail(trail, after, tenant, signal),
    close,
  };
}

/** A Governor server: balances from its admin plane, the trail from its audit routes and live stream. */
export async function serverSource(baseUrl: string, adminKey: string): Promise<WatchSource> {
  const [{ HttpLedgerAdmin }, { followAuditStream }] = await Promise.all([
    import('@governor/http'),
    import('@governor/http/sse'),
  ]);
  const admin = new HttpLedgerAdmin({ baseUrl, adminKey, timeoutMs: 10_000 });
  const headers = { 'x-admin-api-key': adminKey };
  return {
    where: baseUrl,
    budgets: (tenant) => admin.listBudgets(tenant !== undefined ? { tenant } : {}),
    async query(q) {
      const params = new URLSearchParams();
      if (q.tenant !== undefined) params.set('tenant', q.tenant);
      if (q.after !== undefined) params.set('after', q.after);
      if (q.limit !== undefined) params.set('limit', String(q.limit));
      const res = await fetch(new URL(`/v1/admin/audit?${params}`, baseUrl), { headers });
      const body = (await res.json()) as AuditPage & { message?: string; error?: string };
      if (!res.ok)
        throw new Error(
          `${body.message ?? `the server answered ${res.status}`} (${body.error ?? res.status})`,
        );
      return body;
    },
    follow: (after, tenant, signal) =>
      followAuditStream<AuditRecord>({
        baseUrl,
        headers,
        after,
        signal,
        ...(tenant !== undefined ? { tenant } : {}),
      }),
    close: () => admin.dispose(),
  };
}
