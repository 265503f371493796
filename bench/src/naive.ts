/**
 * The baseline a ledger is measured against in the same run: a naive
 * reserve+commit over plain Maps (three scopes, an idempotency map, a
 * reservation map), no validation, no rules beyond "fits". What the machine
 * does for the bare bookkeeping; the ledgers' figures are printed as a ratio to it.
 */
import type { Authority, CommitRequest, LedgerAdmin, ReservationCreateRequest } from '@governor/core';
import type { LedgerFactory } from './harness.js';

interface Budget {
  allocated: number;
  spent: number;
  reserved: number;
}

class NaiveLedger {
  readonly budgets = new Map<string, Budget>();
  readonly reservations = new Map<string, { scopes: Budget[]; amount: number }>();
  readonly keys = new Map<string, string>();
  #n = 0;

  async createBudget(d: { scope: string; allocated: number }) {
    this.budgets.set(d.scope, { allocated: d.allocated, spent: 0, reserved: 0 });
  }

  async reserve(req: ReservationCreateRequest) {
    const s = req.subject;
    const a = `tenant:${s.tenant}`;
    const b = `${a}/workflow:${s.workflow}`;
    const scopes = [a, b, `${b}/run:${s.run}`].map((k) => this.budgets.get(k) as Budget);
    const amount = req.estimate.amount;
    if (scopes.some((x) => x.allocated - x.spent - x.reserved < amount)) return { decision: 'DENY' as const };
    for (const x of scopes) x.reserved += amount;
    const reservationId = `r${++this.#n}`;
    this.reservations.set(reservationId, { scopes, amount });
    this.keys.set(req.idempotencyKey, reservationId);
    return { decision: 'ALLOW' as const, reservationId, affectedScopes: [] };
  }

  async commit(id: string, req: CommitRequest) {
    const r = this.reservations.get(id);
    if (!r) throw new Error(`no reservation ${id}`);
    this.reservations.delete(id);
    for (const x of r.scopes) {
      x.reserved -= r.amount;
      x.spent += req.actual.amount;
    }
    this.keys.set(req.idempotencyKey, id);
    return { status: 'COMMITTED' as const, charged: req.actual };
  }
}

export const naiveFactory: LedgerFactory = async () => {
  const ledger = new NaiveLedger();
  return { authority: ledger as unknown as Authority, admin: ledger as unknown as LedgerAdmin };
};
