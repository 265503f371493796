/**
 * Requests with the protocol's defaults spelled out, in schema order, so an
 * omitted default and an explicit one are the same request (and fingerprint
 * alike for idempotency). Every ledger uses these.
 */
import type { EventCreateRequest, ReservationCreateRequest } from '../protocol/messages.js';
import type { OveragePolicy } from '../protocol/types.js';

export const DEFAULT_TTL_MS = 60_000;
export const DEFAULT_GRACE_PERIOD_MS = 5_000;
export const DEFAULT_OVERAGE_POLICY: OveragePolicy = 'ALLOW_IF_AVAILABLE';

export type NormalizedReservation = Required<
  Pick<ReservationCreateRequest, 'ttlMs' | 'gracePeriodMs' | 'overagePolicy' | 'dryRun'>
> &
  ReservationCreateRequest;

export function normalizeReservation(req: ReservationCreateRequest): NormalizedReservation {
  return {
    idempotencyKey: req.idempotencyKey,
    subject: req.subject,
    action: req.action,
    estimate: req.estimate,
    ttlMs: req.ttlMs ?? DEFAULT_TTL_MS,
    gracePeriodMs: req.gracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS,
    overagePolicy: req.overagePolicy ?? DEFAULT_OVERAGE_POLICY,
    dryRun: req.dryRun ?? false,
    metadata: req.metadata,
  };
}

export type NormalizedEvent = EventCreateRequest & { overagePolicy: OveragePolicy };

export function normalizeEvent(req: EventCreateRequest): NormalizedEvent {
  const { overagePolicy, ...rest } = req;
  return { ...rest, overagePolicy: overagePolicy ?? DEFAULT_OVERAGE_POLICY };
}
