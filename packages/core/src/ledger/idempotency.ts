/**
 * Idempotent replay for commit, release and extend, shared by every ledger
 * that keeps its state in JavaScript: a replay first, then the reservation's
 * state (404, 410 expired, 409 finalized), then the change, remembered.
 */

import { fingerprintOf } from '../canonical-json.js';
import {
  IdempotencyMismatchError,
  NotFoundError,
  ReservationExpiredError,
  ReservationFinalizedError,
} from '../errors.js';
import type { ReservationDetail } from '../protocol/messages.js';

export type IdempotentOperation = 'reserve' | 'commit' | 'release' | 'extend' | 'decide' | 'event';

/** Successful answers per (tenant, operation, key). */
export interface IdempotencyRecords {
  /** The stored answer (a fresh copy); undefined for a first attempt; IDEMPOTENCY_MISMATCH for another payload. */
  replay<T>(tenant: string, op: IdempotentOperation, key: string, fingerprint: string): T | undefined;
  remember(
    tenant: string,
    op: IdempotentOperation,
    key: string,
    fingerprint: string,
    response: unknown,
    now: number,
  ): void;
  /**
   * The tenant of a reservation that has been pruned while its settlement
   * answers are still kept, so a replay of its commit, release or extend
   * finds them for the whole idempotency window.
   */
  settledTenant?(reservationId: string): string | undefined;
}

export function idempotencyMismatchError(tenant: string, op: IdempotentOperation, key: string) {
  return new IdempotencyMismatchError(
    `Idempotency key "${key}" was already used for a different ${op} request of tenant ${tenant}`,
    { idempotency_key: key, operation: op },
  );
}

/** Run `apply` on an ACTIVE reservation once per idempotency key; replays get the first answer. */
export function settleOnce<R extends { detail: ReservationDetail }, T>(
  records: IdempotencyRecords,
  id: string,
  rec: R | undefined,
  op: 'commit' | 'release' | 'extend',
  req: { idempotencyKey: string },
  now: number,
  apply: (rec: R) => T,
): T {
  const fingerprint = fingerprintOf({ reservationId: id, ...req });
  const tenant = rec?.detail.subject.tenant ?? records.settledTenant?.(id);
  if (tenant !== undefined) {
    const replay = records.replay<T>(tenant, op, req.idempotencyKey, fingerprint);
    if (replay) return replay;
  }
  if (!rec) throw new NotFoundError(`Reservation ${id} not found`);
  const status = rec.detail.status;
  if (status === 'EXPIRED') throw new ReservationExpiredError(`Reservation ${id} has expired`);
  if (status !== 'ACTIVE') throw new ReservationFinalizedError(`Reservation ${id} is already ${status}`);
  const response = apply(rec);
  records.remember(rec.detail.subject.tenant, op, req.idempotencyKey, fingerprint, response, now);
  return response;
}

/** A reservation answer with `remainingTtlMs` as of `now` (0 once the reservation is no longer ACTIVE). */
export function withRemainingTtl<T extends { expiresAtMs?: number; reservationId?: string }>(
  response: T,
  now: number,
  isActive: (reservationId: string) => boolean,
  reservationId = response.reservationId,
): T {
  if (response.expiresAtMs === undefined || reservationId === undefined) return response;
  return {
    ...response,
    remainingTtlMs: isActive(reservationId) ? Math.max(0, response.expiresAtMs - now) : 0,
  };
}
