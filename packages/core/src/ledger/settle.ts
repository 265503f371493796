/**
 * What commit, release, extend and events do to the affected budgets, and the
 * answers they give: shared by every ledger that keeps its budgets in
 * JavaScript. Each changes the budgets in place and throws (changing nothing)
 * on a rule it breaks.
 */

import { randomUUID } from 'node:crypto';
import { giveBackRaise } from '../approvals/rules.js';
import {
  BudgetClosedError,
  BudgetFrozenError,
  MaxExtensionsExceededError,
  ReservationExpiredError,
  UnitMismatchError,
} from '../errors.js';
import type * as M from '../protocol/messages.js';
import type { Amount, OveragePolicy } from '../protocol/types.js';
import { deriveScopes, scopePathOf } from '../scopes.js';
import { type BudgetFinder, budgetsFor, throwNoBudget } from './evaluate.js';
import type { NormalizedEvent, NormalizedReservation } from './normalize.js';
import { applySettlement, type BudgetState, planSettlement, toBalance } from './rules.js';

/** The detail of a new ACTIVE reservation. */
export function newReservationDetail(
  reservationId: string,
  req: NormalizedReservation,
  affectedScopes: string[],
  now: number,
): M.ReservationDetail {
  return {
    reservationId,
    status: 'ACTIVE',
    idempotencyKey: req.idempotencyKey,
    subject: req.subject,
    action: req.action,
    reserved: req.estimate,
    createdAtMs: now,
    expiresAtMs: now + req.ttlMs,
    scopePath: scopePathOf(req.subject),
    affectedScopes: [...affectedScopes],
    ...(req.metadata ? { metadata: req.metadata } : {}),
  };
}

export type FinalStatus = 'COMMITTED' | 'RELEASED' | 'EXPIRED';

/** Mark a reservation's detail final: its status, when (not for EXPIRED), what a commit charged. */
export function finalizeDetail(
  detail: M.ReservationDetail,
  status: FinalStatus,
  now: number,
  extra: { committed?: Amount; committedMetadata?: Record<string, unknown> | undefined } = {},
): void {
  detail.status = status;
  if (status !== 'EXPIRED') detail.finalizedAtMs = now;
  if (extra.committed) detail.committed = extra.committed;
  if (extra.committedMetadata) detail.committedMetadata = extra.committedMetadata;
}

/**
 * Return a reservation's amount to its budgets (release, expiry), and the
 * raise its approval made (`raised`, aligned with `budgets`): none of it was used.
 */
export function unreserve(
  budgets: readonly BudgetState[],
  amount: number,
  raised: readonly number[] | undefined,
): void {
  for (const b of budgets) b.reserved -= amount;
  giveBackRaise(budgets, raised, amount);
}

/**
 * Charge a commit of `actual` against a reservation of `reserved` under
 * `policy`; what it leaves of its estimate goes back from its approval's raise.
 */
export function chargeCommit(
  budgets: readonly BudgetState[],
  reservation: Pick<M.ReservationDetail, 'reserved' | 'scopePath'>,
  actual: Amount,
  policy: OveragePolicy,
  includeBalances: boolean,
  raised: readonly number[] | undefined,
): M.CommitResponse {
  const estimate = reservation.reserved;
  if (actual.unit !== estimate.unit) {
    throw new UnitMismatchError(
      `actual.unit ${actual.unit} differs from the reservation's unit ${estimate.unit}`,
      {
        scope: reservation.scopePath,
        requested_unit: actual.unit,
        expected_units: [estimate.unit],
      },
    );
  }
  const plan = planSettlement(budgets, estimate.amount, actual.amount, policy);
  applySettlement(budgets, estimate.amount, plan);
  giveBackRaise(budgets, raised, estimate.amount - plan.charged);
  const status = 'COMMITTED';
  const charged = { unit: estimate.unit, amount: plan.charged };
  const balances = includeBalances ? budgets.map(toBalance) : undefined;
  // Built whole: adding fields to an answer one by one costs more than the rules.
  if (estimate.amount > plan.charged) {
    const released = { unit: estimate.unit, amount: estimate.amount - plan.charged };
    return balances ? { status, charged, released, balances } : { status, charged, released };
  }
  return balances ? { status, charged, balances } : { status, charged };
}

/** Release a reservation of `reserved` (and its approval's raise). */
export function chargeRelease(
  budgets: readonly BudgetState[],
  reserved: Amount,
  includeBalances: boolean,
  raised: readonly number[] | undefined,
): M.ReleaseResponse {
  unreserve(budgets, reserved.amount, raised);
  const released = { unit: reserved.unit, amount: reserved.amount };
  return includeBalances
    ? { status: 'RELEASED', released, balances: budgets.map(toBalance) }
    : { status: 'RELEASED', released };
}

/** RESERVATION_EXPIRED past expiry, MAX_EXTENSIONS_EXCEEDED past the limit. */
export function checkExtendable(
  detail: Pick<M.ReservationDetail, 'reservationId' | 'expiresAtMs'>,
  extensions: number,
  maxExtensions: number,
  now: number,
): void {
  const id = detail.reservationId;
  if (now > detail.expiresAtMs)
    throw new ReservationExpiredError(
      `Reservation ${id} expired at ${detail.expiresAtMs}; extend is too late`,
    );
  if (extensions >= maxExtensions)
    throw new MaxExtensionsExceededError(`Reservation ${id} has reached its ${maxExtensions} extensions`);
}

/** Charge a post-only event: its budgets (templates materialised), refused when frozen or closed. */
export function chargeEvent(
  find: BudgetFinder,
  req: NormalizedEvent,
  includeBalances: boolean,
): M.EventCreateResponse {
  const scopes = deriveScopes(req.subject);
  const budgets = budgetsFor(find, scopes, req.actual.unit, true);
  if (budgets.length === 0) throwNoBudget(find, scopes, req.actual.unit);
  for (const b of budgets) {
    if (b.status === 'FROZEN')
      throw new BudgetFrozenError(`Budget ${b.scope} (${b.unit}) is frozen`, { scope: b.scope });
    if (b.status === 'CLOSED')
      throw new BudgetClosedError(`Budget ${b.scope} (${b.unit}) is closed`, { scope: b.scope });
  }
  const plan = planSettlement(budgets, 0, req.actual.amount, req.overagePolicy);
  applySettlement(budgets, 0, plan);
  const response: M.EventCreateResponse = { status: 'APPLIED', eventId: `evt_${randomUUID()}` };
  if (plan.charged < req.actual.amount) response.charged = { unit: req.actual.unit, amount: plan.charged };
  if (includeBalances) response.balances = budgets.map(toBalance);
  return response;
}
