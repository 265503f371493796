import type { Amount, Caps, Decision, Metadata, OveragePolicy, StandardMetrics } from '../protocol/types.js';
import { MissingActualError, SettlementError } from './errors.js';
import type { Heartbeat } from './heartbeat.js';
import { type Attempt, type Runtime, type SettlementOutcome, settleCommit, settleRelease } from './settle.js';

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

/**
 * One reserved call, settled exactly once. The first of commit / release
 * wins; a commit after that throws, a release after that does nothing.
 * `dispose()` only stops the heartbeat.
 */
export class ReservationHandle {
  readonly grant: Grant;
  readonly #rt: Runtime;
  readonly #heartbeat: Heartbeat | undefined;
  readonly #overagePolicy: OveragePolicy | undefined;
  #state: State = 'open';
  #settlement: Promise<SettlementOutcome | undefined> | undefined;

  constructor(rt: Runtime, grant: Grant, heartbeat: Heartbeat | undefined, overagePolicy?: OveragePolicy) {
    this.#rt = rt;
    this.grant = grant;
    this.#heartbeat = heartbeat;
    this.#overagePolicy = overagePolicy;
  }

  get state(): State {
    return this.#state;
  }

  /**
   * Commit what was used: `actual` in the estimate's unit (a number or an
   * Amount), or `'estimate'` to commit the estimate itself (recorded as
   * `actual_source: "estimate"`). Resolves with the settlement outcome;
   * failures to settle are reported through the events callback, not thrown.
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
    this.#state = 'committing';
    this.#heartbeat?.stop();
    const estimated = actual === 'estimate';
    const amount = estimated
      ? this.grant.estimate
      : typeof actual === 'number'
        ? { unit: this.grant.estimate.unit, amount: actual }
        : actual;
    const settlement = settleCommit(this.#rt, this.grant, {
      actual: amount,
      actualSource: estimated ? 'estimate' : 'reported',
      metrics: options.metrics,
      metadata: options.metadata,
      overagePolicy: this.#overagePolicy,
    }).then((outcome) => {
      this.#state = 'committed';
      return outcome;
    });
    this.#settlement = settlement;
    return settlement;
  }

  /** Release the reservation; a no-op once the call is committed or released. */
  async release(reason = 'released'): Promise<void> {
    if (this.#state !== 'open') {
      await this.#settlement;
      return;
    }
    this.#state = 'releasing';
    this.#heartbeat?.stop();
    const settlement = this.grant.enforced
      ? settleRelease(this.#rt, this.grant, this.grant.estimate, reason).then(() => undefined)
      : Promise.resolve(undefined);
    this.#settlement = settlement;
    await settlement;
    this.#state = 'released';
  }

  /** Stop the heartbeat; the call stays open until committed or released. */
  dispose(): void {
    this.#heartbeat?.stop();
  }

  /** Settles when no heartbeat extension is in flight. */
  async idle(): Promise<void> {
    await this.#heartbeat?.idle();
  }
}
