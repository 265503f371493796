/**
 * Settlement with the client-recovery rules: every retry reuses the original
 * key; transient failures (transport, 5xx, 429) back off, honouring
 * Retry-After; a commit that meets RESERVATION_EXPIRED becomes a post-only
 * event with the same key; RESERVATION_FINALIZED and IDEMPOTENCY_MISMATCH are
 * final. Known spend is never released.
 */
import type { Authority } from '../authority.js';
import type { Scheduler } from '../clock.js';
import { GovernorError } from '../errors.js';
import type { CommitRequest, CommitResponse, EventCreateResponse } from '../protocol/messages.js';
import type { Action, Amount, Metadata, OveragePolicy, StandardMetrics, Subject } from '../protocol/types.js';
import { checked, checkedCommit, eventShape } from './answer-shape.js';
import { type AuthorityOperation, type Timeouts, withDeadline } from './deadline.js';
import type { GovernorEvent } from './events.js';
import { keepsJournalEntry, notingRetryAfter } from './journal-hooks.js';
import type { JournalEntry } from './journal-records.js';
import { derivedKey } from './keys.js';
import { backoffMs, isRetryable, type RetryPolicy } from './retry.js';

export interface Runtime {
  authority: Authority;
  clock: Scheduler;
  retry: RetryPolicy;
  timeouts: Timeouts;
  /** How long a caller waits for a settlement before it goes on in the background. */
  settleWaitMs: number;
  emit(event: GovernorEvent): void;
  /** Whether anyone listens to `emit`: hot paths build no event when not. */
  listening: boolean;
  journal: SettlementJournal;
  /** Keep `promise` in the set `governor.drain()` waits for. */
  track(promise: Promise<unknown>): void;
}

/**
 * The seam for a durable journal of settlements in flight (`FileJournal`); the
 * default keeps nothing.
 */
export interface SettlementJournal {
  /** Called before the first settlement request leaves the process, with all a replay needs. */
  pending(entry: JournalEntry): Promise<void>;
  /** Called once the settlement is final (applied, or failed for good). */
  resolved(key: string): Promise<void>;
  /** The settlement now goes as an event (its reservation expired): called before the event is sent. */
  eventMode?(key: string): Promise<void>;
  /** The authority asked for no retry before `atMs` (429 Retry-After, on the Governor's clock). */
  notBefore?(key: string, atMs: number): Promise<void>;
}

export const noJournal: SettlementJournal = { pending: async () => {}, resolved: async () => {} };

export interface Attempt {
  subject: Subject;
  action: Action;
  key: string;
  reservationId?: string | undefined;
}

/**
 * Run `call` until it succeeds, fails for good, or runs out of attempts; the
 * same request every time, each attempt within the operation's deadline.
 */
export async function withRetries<T>(
  rt: Runtime,
  operation: Exclude<AuthorityOperation, 'extend' | 'balances'>,
  attempt: Attempt,
  call: () => Promise<T>,
  attempts = rt.retry.attempts,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await withDeadline(rt.clock, operation, rt.timeouts[operation], call());
    } catch (error) {
      if (!isRetryable(error) || n >= attempts) throw error;
      const delayMs = backoffMs(rt.retry, n, error);
      rt.emit({ type: 'retry', operation, attempt: n, delayMs, error, ...attempt });
      await rt.clock.sleep(delayMs);
    }
  }
}

export type SettlementOutcome =
  | { outcome: 'committed'; charged: Amount; response: CommitResponse }
  | { outcome: 'event'; charged: Amount; response: EventCreateResponse }
  | { outcome: 'failed'; error: unknown }
  /** Still retrying after `settleWaitMs`: the caller has its result; `settlement` ends it. */
  | { outcome: 'pending'; settlement: Promise<SettlementOutcome | undefined> };

export interface CommitInput {
  actual: Amount;
  /** Where the amount came from: the work's report, the estimate, or what was delivered before an abort. */
  actualSource: 'reported' | 'estimate' | 'partial';
  metrics?: StandardMetrics | undefined;
  metadata?: Metadata | undefined;
  overagePolicy?: OveragePolicy | undefined;
}

const codeOf = (error: unknown) => (GovernorError.isInstance(error) ? error.code : undefined);

/** Commit `input` against the reservation (or, with none, record it as an event). Never throws. */
export async function settleCommit(
  rt: Runtime,
  attempt: Attempt,
  input: CommitInput,
): Promise<SettlementOutcome> {
  const key = derivedKey(attempt.key, 'commit');
  const metadata: Metadata = input.metadata
    ? { ...input.metadata, actual_source: input.actualSource }
    : { actual_source: input.actualSource };
  if (rt.journal !== noJournal) {
    await rt.journal.pending({
      ...attempt,
      key,
      actual: input.actual,
      metrics: input.metrics,
      metadata,
      overagePolicy: input.overagePolicy,
    });
  }
  try {
    if (!attempt.reservationId) {
      const response = await commitAsEvent(rt, attempt, key, input, metadata);
      if (response.charged) reportShortfall(rt, attempt, input.actual, response.charged);
      return done(rt, key, { outcome: 'event', charged: response.charged ?? input.actual, response });
    }
    const id = attempt.reservationId;
    try {
      const commit = () => {
        const request: CommitRequest = { idempotencyKey: key, actual: input.actual };
        if (input.metrics) request.metrics = input.metrics;
        request.metadata = metadata;
        return checkedCommit(rt.authority.commit(id, request));
      };
      const response = await withRetries(rt, 'commit', attempt, notingRetryAfter(rt, key, commit));
      if (rt.listening) {
        rt.emit({
          type: 'commit',
          ...attempt,
          actual: input.actual,
          charged: response.charged,
          actualSource: input.actualSource,
        });
      }
      reportShortfall(rt, attempt, input.actual, response.charged);
      return done(rt, key, { outcome: 'committed', charged: response.charged, response });
    } catch (error) {
      if (codeOf(error) !== 'RESERVATION_EXPIRED') throw error;
      await rt.journal.eventMode?.(key);
      const response = await commitAsEvent(rt, attempt, key, input, metadata);
      rt.emit({
        type: 'commit_fallback_event',
        ...attempt,
        actual: input.actual,
        reason: 'RESERVATION_EXPIRED',
      });
      if (response.charged) reportShortfall(rt, attempt, input.actual, response.charged);
      return done(rt, key, { outcome: 'event', charged: response.charged ?? input.actual, response });
    }
  } catch (error) {
    const terminal = !isRetryable(error);
    rt.emit({ type: 'settlement_failed', operation: 'commit', terminal, error, ...attempt });
    if (terminal && !keepsJournalEntry(error)) await rt.journal.resolved(key);
    return { outcome: 'failed', error };
  }
}

/** The commit as a post-only event, with the commit's key (no reservation, or it expired; also `recover()`'s). */
export function commitAsEvent(
  rt: Runtime,
  attempt: Attempt,
  key: string,
  input: Pick<CommitInput, 'actual' | 'metrics' | 'overagePolicy'>,
  metadata: Metadata | undefined,
): Promise<EventCreateResponse> {
  return withRetries(
    rt,
    'event',
    attempt,
    notingRetryAfter(rt, key, () =>
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
          ...(metadata ? { metadata } : {}),
        }),
      ),
    ),
  );
}

/**
 * The ledger charged less than was used (ALLOW_IF_AVAILABLE capped the
 * overage): said out loud, never lost silently. The budget is flagged
 * over-limit by the ledger; this event names the difference.
 */
function reportShortfall(rt: Runtime, attempt: Attempt, actual: Amount, charged: Amount): void {
  if (charged.unit !== actual.unit || charged.amount >= actual.amount) return;
  rt.emit({ type: 'commit_capped', ...attempt, actual, charged, uncharged: actual.amount - charged.amount });
}

function done(
  rt: Runtime,
  key: string,
  outcome: SettlementOutcome,
): SettlementOutcome | Promise<SettlementOutcome> {
  return rt.journal === noJournal ? outcome : rt.journal.resolved(key).then(() => outcome);
}

/**
 * Release the reservation (work failed or was abandoned). Never throws; an
 * already-final reservation is fine. Resolves with the error when it failed.
 */
export async function settleRelease(
  rt: Runtime,
  attempt: Attempt,
  estimate: Amount,
  reason: string,
): Promise<{ error: unknown } | undefined> {
  if (!attempt.reservationId) return undefined;
  const id = attempt.reservationId;
  try {
    await withRetries(rt, 'release', attempt, () =>
      rt.authority.release(id, {
        idempotencyKey: derivedKey(attempt.key, 'release'),
        reason: reason.slice(0, 256),
      }),
    );
    if (rt.listening) rt.emit({ type: 'release', ...attempt, released: estimate, reason });
    return undefined;
  } catch (error) {
    // Already final (finalized, expired, gone) or unreachable: reported, never thrown — the
    // reservation expires on its own at worst.
    rt.emit({
      type: 'settlement_failed',
      operation: 'release',
      terminal: !isRetryable(error),
      error,
      ...attempt,
    });
    return { error };
  }
}
