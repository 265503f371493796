/**
 * What a reserve, dry run or decide answers, given how a ledger finds its
 * budgets: the affected budgets (templates materialised), the denial or the
 * caps, and the errors for a subject with no budget in the unit. Shared by
 * every ledger that keeps its budgets in JavaScript.
 */
import type { DegradationPolicy } from '../authority.js';
import { NotFoundError, UnitMismatchError } from '../errors.js';
import type { ReservationCreateResponse } from '../protocol/messages.js';
import { type Amount, type Subject, UNITS, type Unit } from '../protocol/types.js';
import { deriveScopes } from '../scopes.js';
import { type BudgetState, capsOf, chargedBudgets, denialOf, toBalance } from './rules.js';

/** The budget at (scope, unit): stored, or from a template (and then stored only when `persist`). */
export type BudgetFinder = (scope: string, unit: Unit, persist: boolean) => BudgetState | undefined;

/** The budgets a call on `scopes` charges in `unit`. */
export function budgetsFor(
  find: BudgetFinder,
  scopes: string[],
  unit: Unit,
  persist: boolean,
): BudgetState[] {
  const out: BudgetState[] = [];
  for (const scope of scopes) {
    const b = find(scope, unit, persist);
    if (b) out.push(b);
  }
  return chargedBudgets(out);
}

/** UNIT_MISMATCH when some scope has budgets, but only in other units. */
export function assertUnitKnown(find: BudgetFinder, scopes: string[], unit: Unit): void {
  for (const scope of scopes) {
    const expected = UNITS.filter((u) => u !== unit && find(scope, u, false));
    if (expected.length > 0) {
      throw new UnitMismatchError(
        `No ${unit} budget for the subject's scopes; ${scope} has budgets in ${expected.join(', ')}`,
        { scope, requested_unit: unit, expected_units: expected },
      );
    }
  }
}

/** UNIT_MISMATCH, or else NOT_FOUND, for a call whose scopes have no budget in `unit`. */
export function throwNoBudget(find: BudgetFinder, scopes: string[], unit: Unit): never {
  assertUnitKnown(find, scopes, unit);
  const scope = scopes[scopes.length - 1];
  throw new NotFoundError(`Budget not found for provided scope: ${scope}`, { scope });
}

export interface Evaluation {
  response: ReservationCreateResponse;
  budgets: BudgetState[];
}

/**
 * Decision, caps and affected budgets for a reserve (`persistent`: templates
 * are materialised, no budget is NOT_FOUND), a dry run or a decide (no budget
 * is a DENY with BUDGET_NOT_FOUND). Changes nothing but materialisation.
 */
export function evaluateReservation(
  find: BudgetFinder,
  req: { subject: Subject; estimate: Amount },
  persistent: boolean,
  degradation: DegradationPolicy | undefined,
  /** Changes the budgets before they are checked (an approved call: raiseForApproval). */
  admit?: (budgets: BudgetState[]) => void,
): Evaluation {
  const scopes = deriveScopes(req.subject);
  const budgets = budgetsFor(find, scopes, req.estimate.unit, persistent);
  if (admit && budgets.length > 0) admit(budgets);
  const scopePath = scopes[scopes.length - 1] as string;
  if (budgets.length === 0) {
    if (persistent) throwNoBudget(find, scopes, req.estimate.unit);
    assertUnitKnown(find, scopes, req.estimate.unit);
    const response: ReservationCreateResponse = {
      decision: 'DENY',
      reasonCode: 'BUDGET_NOT_FOUND',
      affectedScopes: [],
      scopePath,
      blockedScope: scopePath,
    };
    return { response, budgets };
  }
  const affectedScopes = budgets.map((b) => b.scope);
  const denial = denialOf(budgets, req.estimate.amount);
  if (denial) {
    const response: ReservationCreateResponse = {
      decision: 'DENY',
      reasonCode: denial.reasonCode,
      blockedScope: denial.scope,
      affectedScopes,
      scopePath,
      balances: budgets.map(toBalance),
    };
    return { response, budgets };
  }
  const caps = capsOf(budgets, degradation);
  const response: ReservationCreateResponse = {
    decision: caps ? 'ALLOW_WITH_CAPS' : 'ALLOW',
    affectedScopes,
    scopePath,
  };
  if (caps) response.caps = caps;
  if (!persistent) response.balances = budgets.map(toBalance);
  return { response, budgets };
}
