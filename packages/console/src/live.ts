/**
 * Fill the store and keep it current: the recent trail (pages of
 * /v1/admin/audit), the tenants and budgets, then the server's live stream
 * from the last cursor — pushed by the server, never polled.
 */
import { followAuditStream } from '@governor/http/sse';
import type { Api } from './api.js';
import type { Store } from './store.js';
import type { AuditRecord } from './types.js';

/** Pages of the trail read on opening (1,000 records each). */
const BACKFILL_PAGES = 5;

/** The trail so far, up to BACKFILL_PAGES pages; resolves with the cursor to stream from. */
async function backfill(api: Api, store: Store): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let i = 0; i < BACKFILL_PAGES; i++) {
    const page = await api.audit({ limit: '1000', ...(cursor ? { after: cursor } : {}) });
    store.add(page.records, { live: false });
    cursor = page.cursor;
    if (!page.hasMore) break;
  }
  return cursor;
}

/** Reload tenants, budgets and approvals (after an action, and once on opening). */
export async function refresh(api: Api, store: Store) {
  const [tenants, budgets, approvals] = await Promise.all([api.tenants(), api.budgets(), api.approvals()]);
  store.set({ tenants, budgets, approvals });
}

/** Reload the approvals (a record asked for, decided or used one). */
export async function refreshApprovals(api: Api, store: Store) {
  store.set({ approvals: await api.approvals() });
}

const touchesApprovals = (r: AuditRecord) =>
  r.operation.startsWith('approval.') ||
  (r.detail as { approvalId?: unknown } | undefined)?.approvalId !== undefined;

/** Open the console's view of the server until `signal` aborts. */
export async function connect(api: Api, store: Store, signal: AbortSignal) {
  try {
    const after = await backfill(api, store);
    await refresh(api, store);
    const records = followAuditStream<AuditRecord>({
      baseUrl: api.baseUrl,
      headers: api.headers,
      signal,
      ...(after !== undefined ? { after } : {}),
      onOpen: () => store.set({ link: 'live' }),
      onDrop: () => store.set({ link: 'reconnecting' }),
    });
    // Records of one burst are added together (one render), right after the burst's chunk is read.
    let pending: AuditRecord[] = [];
    const flush = () => {
      store.add(pending, { live: true });
      if (pending.some(touchesApprovals)) void refreshApprovals(api, store).catch(() => {});
      pending = [];
    };
    for await (const record of records) {
      if (pending.length === 0) setTimeout(flush, 0);
      pending.push(record);
    }
  } catch (error) {
    if (!signal.aborted) store.set({ link: 'failed', error: (error as Error).message });
  }
}
