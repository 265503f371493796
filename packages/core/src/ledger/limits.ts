/**
 * Bounds every ledger keeps on what it holds, and the answer past them: live
 * (ACTIVE) reservations per tenant, idempotency records. (Metadata size and
 * depth are request rules: see protocol/json-value.ts.)
 */
import type { ReservationCreateResponse } from '../protocol/messages.js';
import type { KnownReasonCode } from '../protocol/types.js';
import { type BudgetState, toBalance } from './rules.js';

/** Default cap on ACTIVE reservations per tenant (option `maxLiveReservationsPerTenant`). */
export const DEFAULT_MAX_LIVE_RESERVATIONS = 100_000;

/** Default bound on idempotency records (option `maxIdempotencyRecords`), besides their 24 h retention. */
export const DEFAULT_MAX_IDEMPOTENCY_RECORDS = 200_000;

/**
 * The DENY a reserve gets when its tenant already holds `max` live
 * reservations: reason `LIVE_RESERVATION_LIMIT`, blocked at the tenant's scope.
 * A decision, not an error: the caller settles some and tries again.
 */
export function liveLimitDenial(
  tenant: string,
  allowed: Pick<ReservationCreateResponse, 'affectedScopes' | 'scopePath'>,
  budgets: readonly BudgetState[],
): ReservationCreateResponse {
  return denialAnswer(allowed, { reasonCode: 'LIVE_RESERVATION_LIMIT', scope: `tenant:${tenant}` }, budgets);
}

/** A DENY in place of an answer that the budgets allowed (a limit past the budget rules said no). */
export function denialAnswer(
  allowed: Pick<ReservationCreateResponse, 'affectedScopes' | 'scopePath'>,
  denial: { reasonCode: KnownReasonCode; scope: string; retryAfterMs?: number | undefined },
  budgets: readonly BudgetState[],
): ReservationCreateResponse {
  return {
    decision: 'DENY',
    reasonCode: denial.reasonCode,
    blockedScope: denial.scope,
    ...(denial.retryAfterMs !== undefined ? { retryAfterMs: denial.retryAfterMs } : {}),
    affectedScopes: [...allowed.affectedScopes],
    ...(allowed.scopePath ? { scopePath: allowed.scopePath } : {}),
    balances: budgets.map(toBalance),
  };
}

/** A ledger's `maxLiveReservationsPerTenant` option, default filled in; RangeError unless a positive integer. */
export function maxLiveOption(value: number | undefined): number {
  const max = value ?? DEFAULT_MAX_LIVE_RESERVATIONS;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new RangeError(`maxLiveReservationsPerTenant must be a positive integer, got ${max}`);
  }
  return max;
}
