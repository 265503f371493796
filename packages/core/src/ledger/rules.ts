/**
 * The ledger rules as pure functions over budget states: what denies a
 * reservation, which caps apply, and how a commit or event is charged under
 * each overage policy. MemoryAuthority applies them in place; other ledgers
 * implement the same rules (RedisAuthority in Lua) and are held to them by
 * the conformance suite.
 */
import type {
  BudgetPeriod,
  BudgetRollover,
  BudgetStatus,
  DegradationPolicy,
  RateLimit,
} from '../authority.js';
import { mergeCaps } from '../caps.js';
import { BudgetExceededError, OverdraftLimitExceededError } from '../errors.js';
import type { Balance, Caps, KnownReasonCode, OveragePolicy, Unit } from '../protocol/types.js';

export interface BudgetState {
  scope: string;
  unit: Unit;
  status: BudgetStatus;
  allocated: number;
  spent: number;
  reserved: number;
  debt: number;
  overdraftLimit: number;
  isOverLimit: boolean;
  caps?: Caps | undefined;
  /** Charges stop here (see BudgetDefinition.isolated). */
  isolated?: boolean | undefined;
  /** With a period (see periods.ts): the schedule, the defined allocation and the current period. */
  period?: BudgetPeriod | undefined;
  rollover?: BudgetRollover | undefined;
  baseAllocated?: number | undefined;
  periodStartMs?: number | undefined;
  periodEndMs?: number | undefined;
  /** Sliding-window rate limits (see ledger/rate-limits.ts). */
  rateLimits?: RateLimit[] | undefined;
}

/** The budgets a call charges: from the deepest isolated budget down, or all of them. */
export function chargedBudgets(budgets: BudgetState[]): BudgetState[] {
  for (let i = budgets.length - 1; i > 0; i--) if (budgets[i]?.isolated) return budgets.slice(i);
  return budgets;
}

export const remainingOf = (b: BudgetState): number => b.allocated - b.spent - b.reserved - b.debt;

export function toBalance(b: BudgetState): Balance {
  const { unit } = b;
  return {
    scope: b.scope,
    scopePath: b.scope,
    remaining: { unit, amount: remainingOf(b) },
    reserved: { unit, amount: b.reserved },
    spent: { unit, amount: b.spent },
    debt: { unit, amount: b.debt },
    allocated: { unit, amount: b.allocated },
    overdraftLimit: { unit, amount: b.overdraftLimit },
    isOverLimit: b.isOverLimit,
  };
}

export interface Denial {
  reasonCode: KnownReasonCode;
  scope: string;
}

type Check = (b: BudgetState, estimate: number) => KnownReasonCode | undefined;

/** Checks in precedence order; each runs over every budget before the next. */
const CHECKS: Check[] = [
  (b) => (b.status === 'CLOSED' ? 'BUDGET_CLOSED' : b.status === 'FROZEN' ? 'BUDGET_FROZEN' : undefined),
  (b) =>
    b.isOverLimit || (b.overdraftLimit > 0 && b.debt > b.overdraftLimit)
      ? 'OVERDRAFT_LIMIT_EXCEEDED'
      : undefined,
  (b) => (b.debt > 0 && b.overdraftLimit === 0 ? 'DEBT_OUTSTANDING' : undefined),
  (b, estimate) => (remainingOf(b) < estimate ? 'BUDGET_EXCEEDED' : undefined),
];

/** Why a reservation of `estimate` must be denied, and where; undefined if it fits everywhere. */
export function denialOf(budgets: readonly BudgetState[], estimate: number): Denial | undefined {
  for (const check of CHECKS) {
    for (const b of budgets) {
      const reasonCode = check(b, estimate);
      if (reasonCode) return { reasonCode, scope: b.scope };
    }
  }
  return undefined;
}

/** Has `b` reached `atPercent` utilisation? Exact integer arithmetic. */
export function reachesTier(b: BudgetState, atPercent: number): boolean {
  if (b.allocated <= 0) return true;
  const used = BigInt(b.allocated - remainingOf(b));
  return used * 10_000n >= BigInt(Math.round(atPercent * 100)) * BigInt(b.allocated);
}

/** Static caps of every affected budget plus every degradation tier any of them reaches. */
export function capsOf(
  budgets: readonly BudgetState[],
  degradation: DegradationPolicy | undefined,
): Caps | undefined {
  let caps: Caps | undefined;
  for (const b of budgets) caps = mergeCaps(caps, b.caps);
  for (const tier of degradation?.tiers ?? []) {
    const applies = budgets.some(
      (b) => (!degradation?.units || degradation.units.includes(b.unit)) && reachesTier(b, tier.atPercent),
    );
    if (applies) caps = mergeCaps(caps, tier.caps);
  }
  return caps;
}

export interface Settlement {
  /** What every affected budget is charged (spent + debt grow by this in total). */
  charged: number;
  /** Per budget, the part of the overage that becomes debt. */
  debt: number[];
  /** Per budget, whether it could not cover the overage (ALLOW_IF_AVAILABLE). */
  overLimit: boolean[];
}

/**
 * How a commit of `actual` against `reserved` (0 for an event) is charged.
 * Up to `reserved` is always covered. The overage is covered from remaining
 * budget; where it does not fit:
 * - REJECT: 409 BUDGET_EXCEEDED, nothing changes;
 * - ALLOW_IF_AVAILABLE: the overage is capped to the smallest remaining (≥ 0),
 *   and budgets that could not cover it in full are marked over-limit;
 * - ALLOW_WITH_OVERDRAFT: the uncovered part becomes debt, unless that takes a
 *   budget's debt past its overdraft limit: 409 OVERDRAFT_LIMIT_EXCEEDED.
 */
export function planSettlement(
  budgets: readonly BudgetState[],
  reserved: number,
  actual: number,
  policy: OveragePolicy,
): Settlement {
  const none = budgets.map(() => 0);
  const overage = actual - reserved;
  const shortfalls = budgets.map((b) => Math.max(0, overage - Math.max(0, remainingOf(b))));
  if (overage <= 0 || shortfalls.every((s) => s === 0)) {
    return { charged: actual, debt: none, overLimit: budgets.map(() => false) };
  }
  if (policy === 'REJECT') {
    const i = shortfalls.findIndex((s) => s > 0);
    throw new BudgetExceededError(
      `Insufficient remaining budget for scope ${budgets[i]?.scope}: overage ${overage} exceeds remaining`,
      { scope: budgets[i]?.scope },
    );
  }
  if (policy === 'ALLOW_IF_AVAILABLE') {
    const available = Math.min(...budgets.map((b) => Math.max(0, remainingOf(b))));
    return { charged: reserved + available, debt: none, overLimit: shortfalls.map((s) => s > 0) };
  }
  budgets.forEach((b, i) => {
    const shortfall = shortfalls[i] as number;
    if (shortfall > 0 && b.debt + shortfall > b.overdraftLimit) {
      throw new OverdraftLimitExceededError(
        `Overdraft limit exceeded for scope ${b.scope}: debt ${b.debt} + ${shortfall} > limit ${b.overdraftLimit}`,
        { scope: b.scope },
      );
    }
  });
  return { charged: actual, debt: shortfalls, overLimit: budgets.map(() => false) };
}

/** Apply a planned settlement: release `reserved`, charge, record debt and over-limit flags. */
export function applySettlement(budgets: readonly BudgetState[], reserved: number, s: Settlement): void {
  budgets.forEach((b, i) => {
    const debt = s.debt[i] as number;
    b.reserved -= reserved;
    b.spent += s.charged - debt;
    b.debt += debt;
    if (s.overLimit[i] || b.debt > b.overdraftLimit) b.isOverLimit = true;
  });
}
