/**
 * Settlement with the client-recovery rules: every retry reuses the original
 * key; transient failures (transport, 5xx, 429) back off, honouring
 * Retry-After; a commit that meets RESERVATION_EXPIRED becomes a post-only
 * event with the same key; RESERVATION_FINALIZED and IDEMPOTENCY_MISMATCH are
 * final. Known spend is never released.
 */

import { z } from 'zod';
import type { Authority } from '../authority.js';
import type { Scheduler } from '../clock.js';
import { GovernorError } from '../errors.js';
import type { CommitResponse, EventCreateResponse } from '../protocol/messages.js';
import { amount as amountSchema } from '../protocol/schemas.js';
import type { Action, Amount, Metadata, OveragePolicy, StandardMetrics, Subject } from '../protocol/types.js';
import type { GovernorEvent } from './events.js';
import { backoffMs, isTransient, type RetryPolicy } from './retry.js';

export interface Runtime {
  authority: Authority;
  clock: Scheduler;
  retry: RetryPolicy;
  emit(event: GovernorEvent): void;
  journal: SettlementJournal;
}

/** The seam for a durable journal of settlements in flight (a later issue); default keeps nothing. */
export interface SettlementJournal {
  /** Called before the first settlement request leaves the process. */
  pending(entry: {
    key: string;
    reservationId?: string | undefined;
    subject: Subject;
    action: Action;
    actual: Amount;
  }): Promise<void>;
  /** Called once the settlement is final (applied, or failed for good). */
  resolved(key: string): Promise<void>;
}

export const noJournal: SettlementJournal = { pending: async () => {}, resolved: async () => {} };

export interface Attempt {
  subject: Subject;
  action: Action;
  key: string;
  reservationId?: string | undefined;
}

/** Run `call` until it succeeds, fails for good, or runs out of attempts; the same request every time. */
export async function withRetries<T>(
  rt: Runtime,
  operation: 'reserve' | 'decide' | 'commit' | 'release' | 'event',
  attempt: Attempt,
  call: () => Promise<T>,
  attempts = rt.retry.attempts,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await call();
    } catch (error) {
      if (!isTransient(error) || n >= attempts) throw error;
      const delayMs = backoffMs(rt.retry, n, error);
      rt.emit({ type: 'retry', operation, attempt: n, delayMs, error, ...attempt });
      await rt.clock.sleep(delayMs);
    }
  }
}

/**
 * A 2xx answer that is not the protocol's success shape: the settlement may or
 * may not have happened, so it is retried with the same key, never taken as done.
 * Not a GovernorError, so it counts as transient.
 */
export class AmbiguousResponseError extends Error {
  constructor(operation: string, response: unknown) {
    super(
      `${operation}: the authority answered with a body that is not a valid ${operation} response: ${JSON.stringify(response)}`,
    );
    this.name = 'AmbiguousResponseError';
  }
}

const commitShape = z.looseObject({ status: z.literal('COMMITTED'), charged: amountSchema });
const eventShape = z.looseObject({ status: z.literal('APPLIED'), eventId: z.string().min(1) });

async function checked<T>(operation: string, shape: z.ZodType, response: Promise<T>): Promise<T> {
  const body = await response;
  if (!shape.safeParse(body).success) throw new AmbiguousResponseError(operation, body);
  return body;
}

export type SettlementOutcome =
  | { outcome: 'committed'; charged: Amount; response: CommitResponse }
  | { outcome: 'event'; charged: Amount; response: EventCreateResponse }
  | { outcome: 'failed'; error: unknown };

export interface CommitInput {
  actual: Amount;
  actualSource: 'reported' | 'estimate';
  metrics?: StandardMetrics | undefined;
  metadata?: Metadata | undefined;
  overagePolicy?: OveragePolicy | undefined;
}

const codeOf = (error: unknown) => (error instanceof GovernorError ? error.code : undefined);

/** Commit `input` against the reservation (or, with none, record it as an event). Never throws. */
export async function settleCommit(
  rt: Runtime,
  attempt: Attempt,
  input: CommitInput,
): Promise<SettlementOutcome> {
  const key = `${attempt.key}:commit`;
  const metadata = { ...input.metadata, actual_source: input.actualSource };
  await rt.journal.pending({ ...attempt, key, actual: input.actual });
  const asEvent = () =>
    withRetries(rt, 'event', attempt, () =>
      checked(
        'event',
        eventShape,
        rt.authority.event({
          idempotencyKey: key,
          subject: attempt.subject,
          action: attempt.action,
          actual: input.actual,
          ...(input.overagePolicy ? { overagePolicy: input.overagePolicy } : {}),
          ...(input.metrics ? { metrics: input.metrics } : {}),
          metadata,
        }),
      ),
    );
  try {
    if (!attempt.reservationId) {
      const response = await asEvent();
      return done(rt, key, { outcome: 'event', charged: response.charged ?? input.actual, response });
    }
    const id = attempt.reservationId;
    try {
      const response = await withRetries(rt, 'commit', attempt, () =>
        checked(
          'commit',
          commitShape,
          rt.authority.commit(id, {
            idempotencyKey: key,
            actual: input.actual,
            ...(input.metrics ? { metrics: input.metrics } : {}),
            metadata,
          }),
        ),
      );
      rt.emit({
        type: 'commit',
        ...attempt,
        actual: input.actual,
        charged: response.charged,
        actualSource: input.actualSource,
      });
      return done(rt, key, { outcome: 'committed', charged: response.charged, response });
    } catch (error) {
      if (codeOf(error) !== 'RESERVATION_EXPIRED') throw error;
      const response = await asEvent();
      rt.emit({
        type: 'commit_fallback_event',
        ...attempt,
        actual: input.actual,
        reason: 'RESERVATION_EXPIRED',
      });
      return done(rt, key, { outcome: 'event', charged: response.charged ?? input.actual, response });
    }
  } catch (error) {
    const terminal = !isTransient(error);
    rt.emit({ type: 'settlement_failed', operation: 'commit', terminal, error, ...attempt });
    if (terminal) await rt.journal.resolved(key);
    return { outcome: 'failed', error };
  }
}

async function done(rt: Runtime, key: string, outcome: SettlementOutcome): Promise<SettlementOutcome> {
  await rt.journal.resolved(key);
  return outcome;
}

/** Release the reservation (work failed or was abandoned). Never throws; an already-final reservation is fine. */
export async function settleRelease(
  rt: Runtime,
  attempt: Attempt,
  estimate: Amount,
  reason: string,
): Promise<void> {
  if (!attempt.reservationId) return;
  const id = attempt.reservationId;
  try {
    await withRetries(rt, 'release', attempt, () =>
      rt.authority.release(id, { idempotencyKey: `${attempt.key}:release`, reason: reason.slice(0, 256) }),
    );
    rt.emit({ type: 'release', ...attempt, released: estimate, reason });
  } catch (error) {
    // Already final (finalized, expired, gone) or unreachable: reported, never thrown — the
    // reservation expires on its own at worst.
    rt.emit({
      type: 'settlement_failed',
      operation: 'release',
      terminal: !isTransient(error),
      error,
      ...attempt,
    });
  }
}
