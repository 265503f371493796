/**
 * What one operation did to the budgets it looked at: their figures when it
 * first touched them, compared with their figures at the end. One mechanism
 * for every operation of a JavaScript ledger, so no change can miss its delta.
 */
import { type BudgetState, remainingOf } from '../ledger/rules.js';
import type { AuditDelta, AuditScope } from './types.js';

const FIGURES = ['allocated', 'spent', 'reserved', 'debt'] as const;
type Figures = Record<(typeof FIGURES)[number], number>;
const ZERO: Figures = { allocated: 0, spent: 0, reserved: 0, debt: 0 };

export class BudgetTouches {
  readonly #before = new Map<BudgetState, Figures>();

  /** Note `b` as looked at; `isNew`: it did not exist before this operation (its figures start at 0). */
  touch(b: BudgetState, isNew = false): BudgetState {
    if (!this.#before.has(b))
      this.#before.set(
        b,
        isNew ? ZERO : { allocated: b.allocated, spent: b.spent, reserved: b.reserved, debt: b.debt },
      );
    return b;
  }

  touchAll(budgets: readonly BudgetState[]): void {
    for (const b of budgets) this.touch(b);
  }

  /** The budgets touched, shallowest scope first, with their figures now and what changed. */
  scopes(): AuditScope[] {
    const out: AuditScope[] = [];
    for (const [b, before] of this.#before) {
      const s: AuditScope = {
        scope: b.scope,
        unit: b.unit,
        status: b.status,
        allocated: b.allocated,
        spent: b.spent,
        reserved: b.reserved,
        debt: b.debt,
        remaining: remainingOf(b),
      };
      const delta: AuditDelta = {};
      for (const f of FIGURES) if (b[f] !== before[f]) delta[f] = b[f] - before[f];
      if (Object.keys(delta).length > 0) s.delta = delta;
      if (b.caps && Object.keys(b.caps).length > 0) s.caps = structuredClone(b.caps);
      out.push(s);
    }
    return out; // in the order touched: derived scopes and a reservation's budgets come shallowest first
  }
}
