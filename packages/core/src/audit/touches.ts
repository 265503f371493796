/**
 * What one operation did to the budgets it looked at: their figures when it
 * first touched them, compared with their figures at the end. One mechanism
 * for every operation of a JavaScript ledger, so no change can miss its delta.
 */
import { type BudgetState, remainingOf } from '../ledger/rules.js';
import type { AuditDelta, AuditScope } from './types.js';

const FIGURES = ['allocated', 'spent', 'reserved', 'debt'] as const;

/** What changed of `b`'s figures since `before` (from `at`); undefined when nothing did. */
function deltaOf(b: BudgetState, before: readonly number[], at: number): AuditDelta | undefined {
  let delta: AuditDelta | undefined;
  for (let f = 0; f < FIGURES.length; f++) {
    const figure = FIGURES[f] as (typeof FIGURES)[number];
    const was = before[at + f] as number;
    if (b[figure] === was) continue;
    delta ??= {};
    delta[figure] = b[figure] - was;
  }
  return delta;
}

export class BudgetTouches {
  /** The budgets touched, in order, and their four figures when first touched (a flat run of four each). */
  readonly #budgets: BudgetState[] = [];
  readonly #before: number[] = [];

  /** Note `b` as looked at; `isNew`: it did not exist before this operation (its figures start at 0). */
  touch(b: BudgetState, isNew = false): BudgetState {
    // A handful of budgets per operation (its subject's scopes): a scan beats a Map.
    if (this.#budgets.includes(b)) return b;
    this.#budgets.push(b);
    if (isNew) this.#before.push(0, 0, 0, 0);
    else this.#before.push(b.allocated, b.spent, b.reserved, b.debt);
    return b;
  }

  touchAll(budgets: readonly BudgetState[]): void {
    for (const b of budgets) this.touch(b);
  }

  /** The budgets touched, shallowest scope first, with their figures now and what changed. */
  scopes(): AuditScope[] {
    const out: AuditScope[] = [];
    const before = this.#before;
    for (let i = 0; i < this.#budgets.length; i++) {
      const b = this.#budgets[i] as BudgetState;
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
      const delta = deltaOf(b, before, i * 4);
      if (delta) s.delta = delta;
      if (b.caps && Object.keys(b.caps).length > 0) s.caps = structuredClone(b.caps);
      out.push(s);
    }
    return out; // in the order touched: derived scopes and a reservation's budgets come shallowest first
  }
}
