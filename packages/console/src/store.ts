/** The console's state: what the stream brought, the budgets it keeps current, and who listens. */
import { useEffect, useState } from 'preact/hooks';
import type { Approval, AuditRecord, BudgetInfo, Tenant } from './types.js';

/** Records kept in the page (the oldest go first). */
export const MAX_RECORDS = 5_000;

export type Link = 'connecting' | 'live' | 'reconnecting' | 'failed';

export interface State {
  records: AuditRecord[];
  /** Epoch ms at which the page received each streamed record, by `tenant/id`. */
  receivedAt: Map<string, number>;
  budgets: BudgetInfo[];
  tenants: Tenant[];
  /** The latest approvals of every tenant (pending ones first to decide). */
  approvals: Approval[];
  link: Link;
  error?: string;
  /** The reservation shown in the detail panel. */
  selected?: string;
}

export const recordKey = (r: Pick<AuditRecord, 'tenant' | 'id'>) => `${r.tenant}/${r.id}`;
const budgetKey = (b: { scope: string; unit: string }) => `${b.scope}\n${b.unit}`;

/** A budget's figures after `record`: every record carries the scopes it checked or changed. */
export function applyScopes(budgets: BudgetInfo[], record: AuditRecord): BudgetInfo[] {
  if (record.scopes.length === 0 || record.dryRun) return budgets;
  const byKey = new Map(budgets.map((b) => [budgetKey(b), b]));
  for (const s of record.scopes) {
    const known = byKey.get(budgetKey(s));
    const { delta: _delta, ...figures } = s;
    byKey.set(budgetKey(s), {
      overdraftLimit: 0,
      isOverLimit: false,
      ...known,
      ...figures,
    });
  }
  return [...byKey.values()];
}

export class Store {
  #state: State = {
    records: [],
    receivedAt: new Map(),
    budgets: [],
    tenants: [],
    approvals: [],
    link: 'connecting',
  };
  readonly #keys = new Set<string>();
  readonly #listeners = new Set<(s: State) => void>();

  get state(): State {
    return this.#state;
  }

  set(patch: Partial<State>) {
    this.#state = { ...this.#state, ...patch };
    for (const l of this.#listeners) l(this.#state);
  }

  subscribe(listener: (s: State) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Add records (backfilled or streamed), once each; streamed ones update the budgets they touched. */
  add(records: AuditRecord[], { live }: { live: boolean }) {
    const fresh = records.filter((r) => !this.#keys.has(recordKey(r)));
    if (fresh.length === 0) return;
    const now = performance.timeOrigin + performance.now();
    let { budgets } = this.#state;
    const receivedAt = new Map(this.#state.receivedAt);
    for (const r of fresh) {
      this.#keys.add(recordKey(r));
      if (live) {
        receivedAt.set(recordKey(r), now);
        budgets = applyScopes(budgets, r);
      }
    }
    let all = [...this.#state.records, ...fresh];
    if (all.length > MAX_RECORDS) {
      const dropped = all.slice(0, all.length - MAX_RECORDS);
      all = all.slice(-MAX_RECORDS);
      for (const r of dropped) {
        this.#keys.delete(recordKey(r));
        receivedAt.delete(recordKey(r));
      }
    }
    this.set({ records: all, receivedAt, budgets });
  }
}

/** The store's state in a component, re-rendered on every change. */
export function useStore(store: Store): State {
  const [state, setState] = useState(store.state);
  useEffect(() => store.subscribe(setState), [store]);
  return state;
}
