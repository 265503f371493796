import type { Amount, Caps, Decision, Metadata, OveragePolicy, StandardMetrics } from '../protocol/types.js';
import { InvalidActualError, MissingActualError, SettlementError } from './errors.js';
import type { Heartbeat } from './heartbeat.js';
import { type ExpiryReason, ExpiryWatch, type HandleLimits } from './limits.js';
import { type Attempt, type Runtime, type SettlementOutcome, settleCommit, settleRelease } from './settle.js';
import type { CallTrace, SettlementResult } from './telemetry.js';

/** What the authority granted a call: adapters read the decision and apply the caps. */
export interface Grant extends Attempt {
  decision: Decision;
  caps?: Caps | undefined;
  estimate: Amount;
  /**
   * False in observe mode and when failing open: the decision was not
   * enforced, and caps are advisory.
   */
  enforced: boolean;
}

export interface CommitOptions {
  metrics?: StandardMetrics;
  metadata?: Metadata;
}

type State = 'open' | 'committing' | 'committed' | 'releasing' | 'released';

/** Why a handle settled without a commit from its owner. */
export type AbandonReason = ExpiryReason | 'aborted' | 'failed';

/**
 * One reserved call, settled exactly once. The first of commit / release /
 * abandon wins; a commit after that throws, a release after that does nothing.
 *
 * Streams report what they have delivered (`progress`) and when their
 * consumer pulls (`touch`, `track`): a handle whose consumer goes idle, or
 * that outlives its maximum lifetime, settles itself — committing what was
 * delivered, releasing the rest — and tells its owner (`onExpire`).
 */
export class ReservationHandle {
  readonly grant: Grant;
  readonly #rt: Runtime;
  readonly #heartbeat: Heartbeat | undefined;
  readonly #overagePolicy: OveragePolicy | undefined;
  readonly #watch: ExpiryWatch | undefined;
  readonly #expiryListeners: ((reason: ExpiryReason) => void)[] = [];
  readonly #trace: CallTrace | undefined;
  #state: State = 'open';
  #settlement: Promise<SettlementOutcome | undefined> | undefined;
  #delivered: number | Amount | (() => number | Amount) | undefined;

  constructor(
    rt: Runtime,
    grant: Grant,
    heartbeat: Heartbeat | undefined,
    overagePolicy?: OveragePolicy,
    limits?: Required<HandleLimits>,
    trace?: CallTrace,
  ) {
    this.#rt = rt;
    this.#trace = trace;
    this.grant = grant;
    this.#heartbeat = heartbeat;
    this.#overagePolicy = overagePolicy;
    this.#watch = limits ? new ExpiryWatch(rt.clock, limits, (reason) => this.#expire(reason)) : undefined;
  }

  get state(): State {
    return this.#state;
  }

  /** What `progress` last recorded as delivered (undefined when nothing, or not a valid amount). */
  get delivered(): Amount | undefined {
    const recorded = typeof this.#delivered === 'function' ? this.#delivered() : this.#delivered;
    if (recorded === undefined) return undefined;
    const amount =
      typeof recorded === 'number' ? { unit: this.grant.estimate.unit, amount: recorded } : recorded;
    return problemOf(amount, this.grant.estimate) ? undefined : amount; // a bad count is never committed
  }

  /**
   * Commit what was used: `actual` in the estimate's unit (a safe integer ≥ 0,
   * or an Amount), or `'estimate'` to commit the estimate (recorded as
   * `actual_source: "estimate"`). An invalid actual commits the estimate —
   * the call ran, it is never free — and rejects with InvalidActualError.
   * Resolves with the outcome; a settlement still retrying after
   * `settleWaitMs` resolves as `pending` and goes on in the background
   * (`governor.drain()` waits for it). Failures are reported through events.
   */
  commit(actual: number | Amount | 'estimate', options: CommitOptions = {}): Promise<SettlementOutcome> {
    if (this.#state !== 'open') {
      return Promise.reject(
        new SettlementError(`cannot commit: this call is already ${this.#state}`, undefined),
      );
    }
    if (actual === undefined || actual === null) {
      return Promise.reject(new MissingActualError(this.grant, undefined));
    }
    const problem = actual === 'estimate' ? undefined : problemOf(actual, this.grant.estimate);
    const amount =
      actual === 'estimate' || problem
        ? this.grant.estimate
        : typeof actual === 'number'
          ? { unit: this.grant.estimate.unit, amount: actual }
          : (actual as Amount);
    const invalid = problem ? new InvalidActualError(this.grant, actual, problem, undefined) : undefined;
    if (invalid) this.#trace?.fail(invalid);
    const outcome = this.#commit(amount, actual === 'estimate' || problem ? 'estimate' : 'reported', options);
    if (!invalid) return outcome;
    return outcome.then(() => Promise.reject(invalid));
  }

  /** Release the reservation; a no-op once the call is committed or released. */
  async release(reason = 'released'): Promise<void> {
    if (this.#state !== 'open') {
      await this.#settlement;
      return;
    }
    this.#state = 'releasing';
    this.#stopWatching();
    const settlement = this.#traced('release', undefined, () =>
      this.grant.enforced
        ? settleRelease(this.#rt, this.grant, this.grant.estimate, reason)
        : Promise.resolve(undefined),
    ).then(() => undefined);
    this.#settlement = settlement;
    await this.#waitFor(settlement, 'release');
    this.#state = 'released';
  }

  /**
   * Record what the call has delivered so far (priced output streamed, the
   * prompt already sent): what an abort, a failure or an abandoned consumer
   * commits. A function is asked only then, so a stream can count cheaply
   * per chunk and price once. Counts as activity.
   */
  progress(delivered: number | Amount | (() => number | Amount)): void {
    this.#delivered = delivered;
    this.#watch?.touch();
  }

  /** The consumer pulled: arms and resets the idle clock. */
  touch(): void {
    this.#watch?.touch();
  }

  /** Not idle while `promise` (a pull) is pending. */
  track<T>(promise: Promise<T>): Promise<T> {
    return this.#watch ? this.#watch.track(promise) : promise;
  }

  /**
   * Settle without a final report: commit what `progress` recorded as
   * delivered (`actual_source: "partial"`), release the rest; release it all
   * when nothing was delivered. A no-op once settled.
   */
  async abandon(reason: AbandonReason, detail: string = reason): Promise<void> {
    if (this.#state !== 'open') return void (await this.#settlement);
    const delivered = this.delivered;
    this.#rt.emit({ type: 'abandoned', ...this.grant, reason, delivered });
    this.#trace?.abandoned(reason, detail, delivered);
    if (delivered && delivered.amount > 0) {
      await this.#commit(delivered, 'partial', { metadata: { abandoned: detail.slice(0, 200) } });
    } else {
      await this.release(`abandoned: ${detail}`);
    }
  }

  /** Called when the idle or lifetime limit settles the handle (after it settled). */
  onExpire(listener: (reason: ExpiryReason) => void): void {
    this.#expiryListeners.push(listener);
  }

  /** Stop the heartbeat and the limits; the call stays open until committed or released. */
  dispose(): void {
    this.#stopWatching();
  }

  /** Settles when no heartbeat extension is in flight. */
  async idle(): Promise<void> {
    await this.#heartbeat?.idle();
  }

  #commit(
    amount: Amount,
    source: 'reported' | 'estimate' | 'partial',
    options: CommitOptions,
  ): Promise<SettlementOutcome> {
    this.#state = 'committing';
    this.#stopWatching();
    const settlement = this.#traced('commit', source, () =>
      settleCommit(this.#rt, this.grant, {
        actual: amount,
        actualSource: source,
        metrics: options.metrics,
        metadata: options.metadata,
        overagePolicy: this.#overagePolicy,
      }),
    ).then((outcome) => {
      this.#state = 'committed';
      return outcome;
    });
    this.#settlement = settlement;
    return this.#waitFor(settlement, 'commit');
  }

  /** The settlement, or `pending` once `settleWaitMs` passes (it goes on in the background). */
  #waitFor<T extends SettlementOutcome | undefined>(
    settlement: Promise<T>,
    operation: 'commit' | 'release',
  ): Promise<T> {
    this.#rt.track(settlement);
    const waitMs = this.#rt.settleWaitMs;
    if (!(waitMs > 0) || waitMs === Number.POSITIVE_INFINITY) return settlement;
    return new Promise<T | SettlementOutcome>((resolve) => {
      const timer = this.#rt.clock.setTimeout(() => {
        this.#rt.emit({ type: 'settlement_backgrounded', ...this.grant, operation, waitedMs: waitMs });
        this.#trace?.backgrounded(operation, waitMs);
        resolve({ outcome: 'pending', settlement });
      }, waitMs);
      void settlement.then((value) => {
        this.#rt.clock.clearTimeout(timer);
        resolve(value);
      });
    }) as Promise<T>;
  }

  /** The settlement under its span, when the call is traced. */
  #traced<T extends SettlementOutcome | { error: unknown } | undefined>(
    operation: 'commit' | 'release',
    source: string | undefined,
    settle: () => Promise<T>,
  ): Promise<T> {
    return this.#trace ? this.#trace.settle(operation, settle, resultOf, source) : settle();
  }

  #stopWatching(): void {
    this.#heartbeat?.stop();
    this.#watch?.stop();
  }

  #expire(reason: ExpiryReason): void {
    const limit = reason === 'idle' ? 'idle limit' : 'maximum lifetime';
    void this.abandon(reason, `${limit} reached`).then(() => {
      for (const listener of this.#expiryListeners) {
        try {
          listener(reason);
        } catch {
          // A listener's failure never changes the settlement.
        }
      }
    });
  }
}

/** A settlement's result as its span records it. */
function resultOf(value: SettlementOutcome | { error: unknown } | undefined): SettlementResult {
  if (!value) return { outcome: 'released' };
  if (!('outcome' in value)) return { outcome: 'failed', error: value.error };
  if (value.outcome === 'pending') return { outcome: 'failed', error: new Error('settlement still pending') };
  return value;
}

/** Why `actual` cannot be committed against `estimate`, or undefined when it can. */
function problemOf(actual: unknown, estimate: Amount): string | undefined {
  if (typeof actual === 'number') return countProblem(actual);
  if (actual === null || typeof actual !== 'object')
    return `must be a number or an Amount, got ${typeof actual}`;
  const { unit, amount } = actual as Partial<Amount>;
  if (unit !== estimate.unit) return `unit must be ${estimate.unit}, got ${String(unit)}`;
  return typeof amount === 'number' ? countProblem(amount) : `amount must be a number, got ${typeof amount}`;
}

function countProblem(n: number): string | undefined {
  if (!Number.isSafeInteger(n)) return `must be a safe integer, got ${n}`;
  return n < 0 ? `must be ≥ 0, got ${n}` : undefined;
}
