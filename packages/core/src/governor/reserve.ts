/**
 * One reservation for a call: retried with the same key within each
 * attempt's deadline, abandoned (and released once it lands) when the
 * caller's signal aborts, and — when the full estimate is denied for budget
 * — retried at the price of the capped call the policy would allow.
 */
import type { ReservationCreateRequest, ReservationCreateResponse } from '../protocol/messages.js';
import type { Amount, Subject } from '../protocol/types.js';
import { withAbort } from './deadline.js';
import { derivedKey } from './keys.js';
import { type Attempt, type Runtime, withRetries } from './settle.js';
import type { CallSpec } from './spec.js';

export interface Reserved {
  response: ReservationCreateResponse;
  /** What was reserved: the spec's estimate, or its capped estimate. */
  estimate: Amount;
  key: string;
}

/** The reservation request but its key and estimate, which each try sets. */
export type ReserveRequest = Omit<ReservationCreateRequest, 'idempotencyKey' | 'estimate'> & {
  ttlMs: number;
  gracePeriodMs: number;
};

export async function reserveFor(
  rt: Runtime,
  attempt: Attempt,
  spec: CallSpec,
  request: ReserveRequest,
): Promise<Reserved> {
  const full = await reserveOnce(rt, attempt, attempt.key, spec.estimate, request, spec.signal);
  const forBudget = full.response.decision === 'DENY' && full.response.reasonCode === 'BUDGET_EXCEEDED';
  const capped = forBudget ? await cappedEstimate(rt, attempt, spec) : undefined;
  if (!capped) return full;
  const key = derivedKey(attempt.key, 'capped');
  const second = await reserveOnce(rt, { ...attempt, key }, key, capped, request, spec.signal);
  return second.response.decision === 'DENY' ? full : second;
}

async function reserveOnce(
  rt: Runtime,
  attempt: Attempt,
  key: string,
  estimate: Amount,
  request: ReserveRequest,
  signal: AbortSignal | undefined,
): Promise<Reserved> {
  const reserve = () => rt.authority.reserve(withKey(request, key, estimate));
  const call = withRetries(rt, 'reserve', attempt, reserve, 2);
  try {
    return { response: await withAbort(signal, call), estimate, key };
  } catch (error) {
    releaseWhenLanded(rt, attempt, call);
    throw error;
  }
}

/** `request` with its key and estimate, the optional fields only when set. */
function withKey(request: ReserveRequest, key: string, estimate: Amount): ReservationCreateRequest {
  const full: ReservationCreateRequest = {
    subject: request.subject,
    action: request.action,
    ttlMs: request.ttlMs,
    gracePeriodMs: request.gracePeriodMs,
    idempotencyKey: key,
    estimate,
  };
  if (request.overagePolicy !== undefined) full.overagePolicy = request.overagePolicy;
  if (request.dryRun !== undefined) full.dryRun = request.dryRun;
  if (request.metadata !== undefined) full.metadata = request.metadata;
  return full;
}

/**
 * The caller gave up (abort, deadline, retries spent) while a reservation
 * may still land: if it does, release it, so nothing stays locked until TTL.
 */
function releaseWhenLanded(rt: Runtime, attempt: Attempt, call: Promise<ReservationCreateResponse>): void {
  const released = call.then(
    async (response) => {
      if (response.decision === 'DENY' || !response.reservationId) return; // denied or dry: nothing held
      const release = { idempotencyKey: derivedKey(attempt.key, 'release'), reason: 'caller gave up' };
      // Expired or unreachable: the TTL frees it.
      await rt.authority.release(response.reservationId, release).catch(() => undefined);
      rt.emit({ type: 'late_reservation_released', ...attempt, reservationId: response.reservationId });
    },
    () => undefined,
  );
  rt.track(released);
}

/**
 * The estimate of the capped call, when the full one was denied for budget:
 * ask which caps the policy applies now (a dry decision, nothing reserved),
 * and price the call under them. Undefined when no caps apply or the spec
 * cannot price a capped call.
 */
async function cappedEstimate(rt: Runtime, attempt: Attempt, spec: CallSpec): Promise<Amount | undefined> {
  if (!spec.estimateUnderCaps) return undefined;
  const subject: Subject = attempt.subject;
  const decide = () =>
    rt.authority.decide({
      idempotencyKey: derivedKey(attempt.key, 'caps'),
      subject,
      action: spec.action,
      estimate: { unit: spec.estimate.unit, amount: 0 },
    });
  const decision = await withAbort(spec.signal, withRetries(rt, 'decide', attempt, decide, 2)).catch(
    () => undefined, // no caps to learn: the full estimate's denial stands
  );
  if (!decision?.caps) return undefined;
  const capped = spec.estimateUnderCaps(decision.caps);
  if (!capped || capped.unit !== spec.estimate.unit || capped.amount >= spec.estimate.amount)
    return undefined;
  return capped;
}
