/**
 * Budgets as values, shared by every ledger: a new budget from its definition,
 * the BudgetInfo view of one, and the provisioning changes (fund, debit,
 * allocation, overdraft limit, caps, status, reset) as validated rules that
 * change a BudgetState in place.
 */
import type { BudgetDefinition, BudgetInfo, BudgetKey, BudgetStatus } from '../authority.js';
import { InvalidRequestError, NotFoundError } from '../errors.js';
import * as P from '../policy/schemas.js';
import { MAX_AMOUNT } from '../protocol/types.js';
import { validateRequest } from '../protocol/validate.js';
import { parseScope } from '../scopes.js';
import { newPeriodState } from './periods.js';
import { type BudgetState, remainingOf } from './rules.js';

/** A new budget; one with a period starts the period `now` falls in. */
export function newBudget(def: BudgetDefinition, now = 0): BudgetState {
  const b: BudgetState = {
    scope: def.scope,
    unit: def.unit,
    status: 'ACTIVE',
    allocated: def.allocated,
    spent: 0,
    reserved: 0,
    debt: 0,
    overdraftLimit: def.overdraftLimit ?? 0,
    isOverLimit: false,
    caps: def.caps && structuredClone(def.caps),
    isolated: def.isolated,
    ...(def.rateLimits?.length ? { rateLimits: structuredClone(def.rateLimits) } : {}),
  };
  return def.period ? Object.assign(b, newPeriodState(def.allocated, def.period, def.rollover, now)) : b;
}

/** A validated budget definition whose scope is canonical. */
export function validateDefinition(input: BudgetDefinition): BudgetDefinition {
  const def = validateRequest(P.budgetDefinition, input) as BudgetDefinition;
  parseScope(def.scope);
  return def;
}

export function budgetInfo(b: BudgetState): BudgetInfo {
  const {
    caps,
    isolated,
    period,
    rollover,
    baseAllocated,
    periodStartMs,
    periodEndMs,
    rateLimits,
    ...state
  } = b;
  const info: BudgetInfo = { ...state, remaining: remainingOf(b) };
  if (period) Object.assign(info, { period: structuredClone(period), rollover, periodStartMs, periodEndMs });
  if (rateLimits?.length) info.rateLimits = structuredClone(rateLimits);
  if (caps) info.caps = structuredClone(caps);
  if (isolated) info.isolated = true;
  return info;
}

export function duplicateBudgetError(key: BudgetKey): InvalidRequestError {
  return new InvalidRequestError([
    { path: 'scope', message: `a ${key.unit} budget already exists for ${key.scope}` },
  ]);
}

export function budgetNotFoundError(key: BudgetKey): NotFoundError {
  return new NotFoundError(`No ${key.unit} budget for scope ${key.scope}`, { scope: key.scope });
}

export function checkCeiling(total: number): void {
  if (total > MAX_AMOUNT) {
    throw new InvalidRequestError([
      {
        path: 'amount',
        message: `allocated + overdraftLimit would exceed ${MAX_AMOUNT}, the largest exact amount`,
      },
    ]);
  }
}

/** One provisioning change: the schema its input must pass, and the rule it applies. */
export interface BudgetChange<T extends BudgetKey> {
  schema: Parameters<typeof validateRequest>[0];
  apply(b: BudgetState, change: T): void;
}

type Amounted = BudgetKey & { amount: number };

const statusChange = (status: BudgetStatus): BudgetChange<BudgetKey> => ({
  schema: P.budgetKey,
  apply: (b) => {
    if (b.status === 'CLOSED' && status !== 'CLOSED') {
      throw new InvalidRequestError([
        { path: 'scope', message: `budget ${b.scope} (${b.unit}) is closed for good` },
      ]);
    }
    b.status = status;
  },
});

/** The LedgerAdmin changes, by method name. */
export const BUDGET_CHANGES = {
  fund: {
    schema: P.amountChange,
    apply: (b, { amount }) => {
      checkCeiling(b.allocated + amount + b.overdraftLimit);
      const repaid = Math.min(b.debt, amount);
      b.allocated += amount;
      b.debt -= repaid;
      b.spent += repaid;
      if (b.debt <= b.overdraftLimit && remainingOf(b) >= 0) b.isOverLimit = false;
    },
  } as BudgetChange<Amounted>,
  debit: {
    schema: P.amountChange,
    apply: (b, { amount }) => {
      if (amount > Math.max(0, remainingOf(b))) {
        throw new InvalidRequestError([
          { path: 'amount', message: `must be at most the remaining ${remainingOf(b)} of ${b.scope}` },
        ]);
      }
      b.allocated -= amount;
    },
  } as BudgetChange<Amounted>,
  setAllocation: {
    schema: P.amountChange,
    apply: (b, { amount }) => {
      checkCeiling(amount + b.overdraftLimit);
      b.allocated = amount;
      // The defined allocation of the periods to come, too.
      if (b.period) b.baseAllocated = amount;
    },
  } as BudgetChange<Amounted>,
  setOverdraftLimit: {
    schema: P.amountChange,
    apply: (b, { amount }) => {
      checkCeiling(b.allocated + amount);
      b.overdraftLimit = amount;
      if (b.debt <= amount && remainingOf(b) >= 0) b.isOverLimit = false;
    },
  } as BudgetChange<Amounted>,
  setCaps: {
    schema: P.capsChange,
    apply: (b, { caps }) => {
      b.caps = caps;
    },
  } as BudgetChange<BudgetKey & { caps?: BudgetState['caps'] }>,
  freeze: statusChange('FROZEN'),
  unfreeze: statusChange('ACTIVE'),
  close: statusChange('CLOSED'),
  resetSpent: {
    schema: P.budgetKey,
    apply: (b) => {
      b.spent = 0;
    },
  } as BudgetChange<BudgetKey>,
} satisfies Record<string, BudgetChange<never>>;

export type BudgetChangeName = keyof typeof BUDGET_CHANGES;
