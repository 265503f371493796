/** The scripts' refusals, as the protocol's typed errors. */
import {
  BudgetClosedError,
  BudgetExceededError,
  BudgetFrozenError,
  type BudgetKey,
  type GovernorError,
  IdempotencyMismatchError,
  InternalError,
  InvalidRequestError,
  MaxExtensionsExceededError,
  NotFoundError,
  OverdraftLimitExceededError,
  ReservationExpiredError,
  ReservationFinalizedError,
} from '@governor/core';
import { budgetNotFoundError, checkCeiling } from '@governor/core/ledger';
import type { IdempotentOperation } from './keys.js';
import type { Outcome } from './records.js';

/** The stored answer of a replay (or a fresh outcome as is); IDEMPOTENCY_MISMATCH on another payload. */
export function replayed(out: Outcome, tenant: string, op: IdempotentOperation, key: string): Outcome {
  if (out.k === 'mismatch') {
    throw new IdempotencyMismatchError(
      `Idempotency key "${key}" was already used for a different ${op} request of tenant ${tenant}`,
      { idempotency_key: key, operation: op },
    );
  }
  if (out.k === 'replay') return JSON.parse(out.o as string) as Outcome;
  return out;
}

/** A commit or event that the budgets refuse (`e`: code, message, scope). */
export function settlementError([code, message, scope]: [string, string, string]): GovernorError {
  switch (code) {
    case 'BUDGET_EXCEEDED':
      return new BudgetExceededError(message, { scope });
    case 'OVERDRAFT_LIMIT_EXCEEDED':
      return new OverdraftLimitExceededError(message, { scope });
    case 'BUDGET_FROZEN':
      return new BudgetFrozenError(message, { scope });
    case 'BUDGET_CLOSED':
      return new BudgetClosedError(message, { scope });
    default:
      return new InternalError(`${code}: ${message}`);
  }
}

/** The error for a commit, release or extend outcome other than `ok` and `unit`. */
export function settleError(op: string, id: string, outcome: Outcome): GovernorError {
  switch (outcome.k) {
    case 'notfound':
      return new NotFoundError(`Reservation ${id} not found`);
    case 'expired':
      return new ReservationExpiredError(`Reservation ${id} has expired`);
    case 'finalized':
      return new ReservationFinalizedError(`Reservation ${id} is already ${outcome.status}`);
    case 'toolate':
      return new ReservationExpiredError(`Reservation ${id} expired at ${outcome.exp}; extend is too late`);
    case 'maxext':
      return new MaxExtensionsExceededError(`Reservation ${id} has reached its ${outcome.max} extensions`);
    case 'error':
      return settlementError(outcome.e as [string, string, string]);
    default:
      return new InternalError(`unexpected ${op} outcome ${outcome.k}`);
  }
}

/** Throws the error for a budget_update outcome other than `ok`. */
export function failBudgetUpdate(out: Outcome, key: BudgetKey): never {
  switch (out.k) {
    case 'notfound':
      throw budgetNotFoundError(key);
    case 'ceiling':
      checkCeiling(Number.POSITIVE_INFINITY);
      throw new InternalError('unreachable');
    case 'debit':
      throw new InvalidRequestError([
        { path: 'amount', message: `must be at most the remaining ${out.remaining} of ${out.scope}` },
      ]);
    case 'closed':
      throw new InvalidRequestError([
        { path: 'scope', message: `budget ${out.scope} (${out.unit}) is closed for good` },
      ]);
    default:
      throw new InternalError(`unexpected budget_update outcome ${out.k}`);
  }
}
