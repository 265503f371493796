/**
 * The lifecycle every adapter shares: reserve → execute → commit, once.
 * Keys, deadlines, retries, heartbeats, handle limits, context, delegation,
 * observe mode, fail mode and the circuit breaker live here, so adapters only
 * map their framework's hooks onto it.
 */
import type { Authority, BudgetKey, LedgerAdmin } from '../authority.js';
import { type Scheduler, systemClock } from '../clock.js';
import { InvalidRequestError } from '../errors.js';
import type { ApprovalPolicy } from '../policy/approvals.js';
import { DEFAULT_LOOP_BREAKER, type LoopBreakerPolicy } from '../policy/loop-breaker.js';
import type { RiskPointTable } from '../policy/risk-points.js';
import { riskPointsFor } from '../policy/risk-points.js';
import type { BalanceQuery, DecisionResponse, ReservationCreateResponse } from '../protocol/messages.js';
import { subject as subjectSchema } from '../protocol/schemas.js';
import type {
  Action,
  Amount,
  Balance,
  Caps,
  Metadata,
  OveragePolicy,
  StandardMetrics,
  Subject,
} from '../protocol/types.js';
import { validate } from '../protocol/validate.js';
import { deriveScopes, subjectOfScope } from '../scopes.js';
import { type ApprovalSettings, approvalSettings } from './approval-settings.js';
import { BudgetGauges, type ObserveBudgetsOptions } from './budget-gauges.js';
import { contextStorage, extendSubject } from './context.js';
import { DEFAULT_TIMEOUTS, type Timeouts, withAbort, withDeadline } from './deadline.js';
import { delegate } from './delegation.js';
import { AuthorityUnavailableError, BudgetDeniedError, MissingActualError } from './errors.js';
import type { GovernorEventListener } from './events.js';
import { type CommitOptions, type Grant, ReservationHandle } from './handle.js';
import { Heartbeat, type HeartbeatOptions } from './heartbeat.js';
import { InFlight } from './in-flight.js';
import { checkCallerKey, derivedKey, newAttemptKey } from './keys.js';
import { DEFAULT_HANDLE_LIMITS, type HandleLimits } from './limits.js';
import { type RecoverOptions, type RecoveryReport, recoverJournal } from './recover.js';
import { type Reserved, type ReserveRequest, reserveFor } from './reserve.js';
import { DEFAULT_RETRY, isTransportFailure, type RetryPolicy } from './retry.js';
import {
  CapsInForce,
  CircuitBreaker,
  type CircuitBreakerOptions,
  type PaceDenial,
  ToolPace,
} from './run-state.js';
import { noJournal, type Runtime, type SettlementJournal, withRetries } from './settle.js';
import { type CallSpec, checkSpec } from './spec.js';
import { type CallTrace, Telemetry } from './telemetry.js';

export type { CallSpec } from './spec.js';

export interface GovernorOptions {
  authority: Authority;
  /** The default subject; calls and contexts add levels to it. */
  subject: Subject;
  /** The provisioning plane of the same ledger; needed for `delegate`. */
  admin?: LedgerAdmin;
  /** Risk points per tool/action, for adapters (`governor.riskPointsFor`). */
  riskPoints?: RiskPointTable;
  /** `enforce` (default) or `observe`: evaluate and record, never block. */
  mode?: 'enforce' | 'observe';
  /**
   * When the authority cannot be reached (a transport failure, a timeout, a
   * 5xx — see `isTransportFailure`): `closed` (default, the work does not
   * run) or `open`. Any other error propagates in both modes.
   */
  failMode?: 'closed' | 'open';
  /** Every decision, settlement, retry and failure. Must not throw. */
  on?: GovernorEventListener;
  /** Reservation TTL, default 60,000 ms; grace default 5,000 ms. */
  ttlMs?: number;
  gracePeriodMs?: number;
  overagePolicy?: OveragePolicy;
  /** Keep long calls alive; `false` to turn off. */
  heartbeat?: HeartbeatOptions | false;
  retry?: Partial<RetryPolicy>;
  /** Per-attempt deadline of each authority call, ms; default 5,000 each. */
  timeouts?: Partial<Timeouts>;
  /**
   * How long a caller waits for its commit or release, ms (default 5,000):
   * past that the result goes back to the caller and the settlement keeps
   * retrying in the background with the same key (`drain()` waits for it).
   */
  settleWaitMs?: number;
  /** Idle and lifetime limits of handles from `begin` (streams). */
  handles?: HandleLimits;
  /**
   * The loop breaker for tools with risk points: the `threshold`-th identical
   * call (same tool, same arguments) within `windowMs` in one run is denied
   * with LOOP_DETECTED; default 5 within 10 minutes; `false` turns it off.
   */
  loopBreaker?: LoopBreakerPolicy | false;
  /**
   * Denied tool calls that pause for approval instead of failing (see
   * ApprovalPolicy); the authority must keep approvals (memory, Redis, HTTP).
   */
  approvals?: ApprovalPolicy;
  /** Ends tool loops whose model ignores denials; default 3 consecutive denials per run; `false` turns it off. */
  circuitBreaker?: CircuitBreakerOptions | false;
  /** Time and timers; default the system clock. */
  clock?: Scheduler;
  /** Where settlements in flight are recorded (`FileJournal`: durable; `recover()` replays it). */
  journal?: SettlementJournal;
}

/**
 * What the wrapped work reports: its value and what it actually used — an
 * amount in the estimate's unit, or `'estimate'` to commit the estimate.
 */
export interface RunResult<T> {
  value: T;
  actual: number | Amount | 'estimate';
  metrics?: StandardMetrics;
  /** Recorded with the commit (e.g. which model actually ran after a downgrade). */
  metadata?: Metadata;
}

export class Governor {
  /** Counts denied tool calls per run; undefined when turned off. */
  readonly breaker: CircuitBreaker | undefined;
  readonly #rt: Runtime;
  readonly #subject: Subject;
  readonly #options: GovernorOptions;
  readonly #limits: Required<HandleLimits>;
  readonly #inFlight = new InFlight();
  readonly #capsInForce = new CapsInForce();
  readonly #pace = new ToolPace();
  readonly #telemetry: Telemetry;
  readonly #budgetGauges: BudgetGauges;
  readonly #approvals: ApprovalSettings | undefined;

  constructor(options: GovernorOptions) {
    this.#options = options;
    this.#subject = validate(subjectSchema, options.subject, ['subject']) as Subject;
    this.#limits = { ...DEFAULT_HANDLE_LIMITS, ...options.handles };
    this.#approvals = approvalSettings(options.approvals, options.authority);
    this.breaker = options.circuitBreaker === false ? undefined : new CircuitBreaker(options.circuitBreaker);
    const listener = options.on;
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#rt = {
      authority: options.authority,
      clock: options.clock ?? systemClock,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      timeouts,
      settleWaitMs: options.settleWaitMs ?? timeouts.commit,
      journal: options.journal ?? noJournal,
      listening: listener !== undefined,
      emit: (event) => {
        try {
          listener?.(event);
        } catch {
          // A listener's failure must never change the outcome of a call.
        }
      },
      track: (promise) => this.#inFlight.track(promise),
    };
    this.#telemetry = new Telemetry(this.#rt.clock);
    this.#budgetGauges = new BudgetGauges(
      this.#telemetry.meter,
      options.authority,
      this.#rt.clock,
      timeouts.balances,
    );
  }

  /** The subject calls made here act as: the context's, or the default. */
  get subject(): Subject {
    return contextStorage.getStore()?.subject ?? this.#subject;
  }

  get mode(): 'enforce' | 'observe' {
    return this.#options.mode ?? 'enforce';
  }

  /** The loop breaker's settings for tool calls with risk points; undefined when turned off. */
  get loopBreaker(): LoopBreakerPolicy | undefined {
    const option = this.#options.loopBreaker;
    return option === false ? undefined : (option ?? DEFAULT_LOOP_BREAKER);
  }

  /** Where denied tool calls pause for approval; undefined without an `approvals` policy. */
  get approvals(): ApprovalSettings | undefined {
    return this.#approvals;
  }

  /** The governor's clock and timers. */
  get scheduler(): Scheduler {
    return this.#rt.clock;
  }

  /** RISK_POINTS for an action from the configured table (undefined when none applies; see `withDefault`). */
  riskPointsFor(
    action: Pick<Action, 'kind' | 'name'>,
    options?: { withDefault?: boolean },
  ): number | undefined {
    return riskPointsFor(this.#options.riskPoints, action, options);
  }

  /** Run `fn` with `runId` as the run level of the subject. */
  withRun<T>(runId: string, fn: () => T): T {
    return this.withSubject({ run: runId }, fn);
  }

  /** Run `fn` as a child subject: the current one with `levels` added. */
  withSubject<T>(levels: Partial<Subject>, fn: () => T): T {
    const subject = validate(subjectSchema, extendSubject(this.subject, levels), ['subject']) as Subject;
    const parent = contextStorage.getStore();
    return contextStorage.run({ subject, parentReservationId: parent?.parentReservationId }, fn);
  }

  /**
   * Reserve for a call and hand back its once-only handle (for streams and
   * anything settled later). A DENY throws BudgetDeniedError; nothing runs.
   * The handle settles itself when its consumer goes idle or it outlives its
   * maximum lifetime (`handles` of createGovernor, or `limits` here).
   */
  async begin(spec: CallSpec, limits?: HandleLimits): Promise<ReservationHandle> {
    checkSpec(spec);
    return this.#begin(spec, { ...this.#limits, ...limits }, this.#telemetry.call(spec.action));
  }

  /**
   * Report `keys` as the OpenTelemetry gauges `governor.budget.reserved` and
   * `governor.budget.remaining` (attributes `governor.scope`, `governor.unit`).
   * A collection reads each registered scope at most once per `maxAgeMs`
   * (default 10,000); nothing is read for budgets not registered, or when no
   * meter provider is registered. Returns a function that stops reporting them.
   */
  observeBudgets(keys: readonly BudgetKey[], options?: ObserveBudgetsOptions): () => void {
    return this.#budgetGauges.observe(keys, options);
  }

  /**
   * The budgets of `subject` (default the current one) as they stand: every
   * derived scope's, and those of the scopes below its deepest level (an
   * agent's or toolset's), each read under the balances deadline.
   */
  async budgetLeft(subject: Subject = this.subject): Promise<Balance[]> {
    const read = (query: BalanceQuery) =>
      withDeadline(
        this.#rt.clock,
        'balances',
        this.#rt.timeouts.balances,
        this.#rt.authority.balances(query),
      );
    const scopes = deriveScopes(subject);
    const [children, ...own] = await Promise.all([
      read({ ...subject, includeChildren: true, limit: 200 }),
      ...scopes.slice(0, -1).map((scope) => read(subjectOfScope(scope))),
    ]);
    const seen = new Set<string>();
    const out: Balance[] = [];
    for (const b of [...own.flatMap((r) => r.balances), ...(children?.balances ?? [])]) {
      const key = `${b.scope}|${b.remaining.unit}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(b);
    }
    return out;
  }

  /**
   * Would this call be allowed now, and with which caps? A dry evaluation as
   * the current subject: nothing is reserved. Transport failures are retried;
   * an unreachable authority follows the fail mode (closed: throws
   * AuthorityUnavailableError; open: answers ALLOW).
   */
  async decide(
    spec: Pick<
      CallSpec,
      'action' | 'estimate' | 'subject' | 'idempotencyKey' | 'metadata' | 'signal' | 'estimateUnderCaps'
    >,
  ): Promise<DecisionResponse> {
    checkSpec(spec);
    const subject = extendSubject(this.subject, spec.subject);
    const key = spec.idempotencyKey ?? newAttemptKey();
    const attempt = { subject, action: spec.action, key };
    const ask = (estimate: Amount, idempotencyKey: string) =>
      withAbort(
        spec.signal,
        withRetries(
          this.#rt,
          'decide',
          attempt,
          () =>
            this.#rt.authority.decide({
              idempotencyKey,
              subject,
              action: spec.action,
              estimate,
              ...(spec.metadata ? { metadata: spec.metadata } : {}),
            }),
          2,
        ),
      );
    try {
      const full = await ask(spec.estimate, key);
      if (full.decision !== 'DENY' || full.reasonCode !== 'BUDGET_EXCEEDED' || !spec.estimateUnderCaps)
        return full;
      // As a reservation would: the capped call, when only that fits.
      const { caps } = await ask({ unit: spec.estimate.unit, amount: 0 }, derivedKey(key, 'caps'));
      const capped = caps ? spec.estimateUnderCaps(caps) : undefined;
      if (!capped || capped.unit !== spec.estimate.unit || capped.amount >= spec.estimate.amount) return full;
      const second = await ask(capped, derivedKey(key, 'capped'));
      return second.decision === 'DENY' ? full : second;
    } catch (error) {
      if (!isTransportFailure(error)) throw error;
      this.#unreachable(attempt, spec, error);
      return { decision: 'ALLOW' };
    }
  }

  /**
   * Reserve, run `fn(grant)`, commit what it reports (or the estimate), or
   * release if it throws. A DENY throws BudgetDeniedError and `fn` never runs.
   * A commit still retrying after `settleWaitMs` does not hold back the value.
   */
  async run<T>(spec: CallSpec, fn: (grant: Grant) => Promise<RunResult<T>> | RunResult<T>): Promise<T> {
    checkSpec(spec);
    const call = this.#telemetry.call(spec.action);
    const handle = await this.#begin(spec, undefined, call);
    let result: RunResult<T>;
    try {
      const work = () => call.within(() => fn(handle.grant));
      // A call that adds no level runs in the context it was made in: nested calls see the same subject.
      const context = { subject: handle.grant.subject, parentReservationId: handle.grant.reservationId };
      result = await (handle.grant.subject === this.subject ? work() : contextStorage.run(context, work));
    } catch (error) {
      call.fail(error);
      await handle.release(`work failed: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
    if (result?.actual === undefined || result.actual === null) {
      handle.dispose();
      this.#rt.emit({ type: 'actual_missing', ...handle.grant });
      const error = new MissingActualError(handle.grant, result?.value);
      call.fail(error);
      call.end();
      throw error;
    }
    const options: CommitOptions = {};
    if (result.metrics) options.metrics = result.metrics;
    if (result.metadata) options.metadata = result.metadata;
    try {
      await handle.commit(result.actual, options);
    } catch (error) {
      if (error && typeof error === 'object') Object.assign(error, { value: result.value });
      throw error;
    }
    return result.value;
  }

  /**
   * Give a child subject a sub-allowance carved out of the current subject's
   * budgets: the child's calls inside `fn` are charged to it alone and can
   * never exceed it; what it does not use flows back when `fn` ends or throws.
   */
  delegate<T>(child: Partial<Subject>, allowance: Amount, fn: () => Promise<T>): Promise<T> {
    if (!this.#options.admin) {
      return Promise.reject(
        new InvalidRequestError(
          'delegate needs the ledger’s provisioning plane: pass `admin` to createGovernor',
        ),
      );
    }
    return delegate(this, this.#options.admin, child, allowance, fn);
  }

  /**
   * The caps of the latest enforced grants in the subject's loop (its run,
   * without the toolset), merged across units: what a tool call must respect
   * whatever its own points.
   */
  capsInForce(subject: Subject = this.subject): Caps | undefined {
    return this.#capsInForce.of(subject);
  }

  /**
   * Whether the loop's pace lets a tool call start now under `caps`
   * (`cooldown_ms`, `max_steps_remaining`); an admitted call is counted.
   */
  admitToolCall(subject: Subject, caps: Caps | undefined): PaceDenial | undefined {
    if (this.mode === 'observe') return undefined;
    return this.#pace.admit(subject, caps, this.#rt.clock.now());
  }

  /**
   * Count a tool call's outcome for the loop's circuit breaker; the denial
   * that opens the circuit emits `circuit_open`. Returns the consecutive
   * denials so far.
   */
  recordToolOutcome(subject: Subject, action: Action, denied: boolean): number {
    const count = this.breaker?.record(subject, denied) ?? 0;
    if (denied && count === this.breaker?.limit) {
      this.#rt.emit({ type: 'circuit_open', subject, action, key: '', consecutiveDenials: count });
    }
    return count;
  }

  /**
   * Replay what the journal still holds (`FileJournal`: settlements a crash or
   * an outage left unacknowledged), each with its original key; call it on
   * start. A commit whose reservation expired or is gone becomes an event.
   */
  recover(options?: RecoverOptions): Promise<RecoveryReport> {
    return recoverJournal(this.#rt, options);
  }

  /** Wait for every settlement still retrying in the background (shutdown, tests). */
  async drain(): Promise<void> {
    await this.#inFlight.drain();
  }

  async #begin(
    spec: CallSpec,
    limits: Required<HandleLimits> | undefined,
    call: CallTrace,
  ): Promise<ReservationHandle> {
    // The authority validates the whole request (subject included) before it reaches the ledger.
    const subject = extendSubject(this.subject, spec.subject);
    const key = spec.idempotencyKey === undefined ? newAttemptKey() : checkCallerKey(spec.idempotencyKey);
    const attempt = { subject, action: spec.action, key };
    const observe = this.mode === 'observe';
    const request: ReserveRequest = {
      subject,
      action: spec.action,
      ttlMs: spec.ttlMs ?? this.#options.ttlMs ?? 60_000,
      gracePeriodMs: this.#options.gracePeriodMs ?? 5_000,
    };
    const overagePolicy = spec.overagePolicy ?? this.#options.overagePolicy;
    if (overagePolicy) request.overagePolicy = overagePolicy;
    if (observe) request.dryRun = true;
    if (spec.metadata) request.metadata = spec.metadata;
    let reserved: Reserved;
    try {
      reserved = await call.reserve(subject, () => reserveFor(this.#rt, attempt, spec, request));
    } catch (error) {
      if (isTransportFailure(error)) return this.#unreachable(attempt, spec, error, call);
      call.fail(error);
      call.end();
      throw error;
    }
    const { response, estimate } = reserved;
    // Written out, not spread: a spread of a few fields costs more than the rest of this function.
    const details = {
      decision: response.decision,
      estimate,
      caps: response.caps,
      reasonCode: response.reasonCode,
      scope: response.blockedScope,
    };
    call.decided({
      decision: response.decision,
      estimate,
      caps: response.caps,
      reasonCode: response.reasonCode,
      scope: response.blockedScope,
      affectedScopes: response.affectedScopes,
      reservationId: response.reservationId,
      enforced: !observe,
    });
    if (observe) {
      this.#rt.emit({ type: 'observed', ...attempt, ...details });
      const grant: Grant = { ...attempt, ...details, enforced: false };
      return new ReservationHandle(this.#rt, grant, undefined, spec.overagePolicy, limits, call);
    }
    if (this.#rt.listening) {
      this.#rt.emit({ type: 'decision', ...attempt, reservationId: response.reservationId, ...details });
    }
    if (response.decision === 'DENY' || !response.reservationId) {
      call.end(); // a DENY is an answer, not an error: the span keeps its decision and reason
      throw new BudgetDeniedError({
        reasonCode: response.reasonCode ?? 'BUDGET_EXCEEDED',
        scope: response.blockedScope,
        retryAfterMs: response.retryAfterMs,
        subject,
        action: spec.action,
        estimate: spec.estimate,
      });
    }
    // With the decision's reason and scope, as the events carry them.
    const grant = {
      subject,
      action: spec.action,
      key: reserved.key,
      reservationId: response.reservationId,
      decision: response.decision,
      estimate,
      caps: response.caps,
      reasonCode: response.reasonCode,
      scope: response.blockedScope,
      enforced: true,
    };
    this.#capsInForce.note(subject, estimate.unit, response.caps);
    const heartbeat = this.#heartbeatFor(grant, response);
    return new ReservationHandle(this.#rt, grant, heartbeat, spec.overagePolicy, limits, call);
  }

  #heartbeatFor(
    grant: Grant & { reservationId: string },
    response: ReservationCreateResponse,
  ): Heartbeat | undefined {
    if (this.#options.heartbeat === false) return undefined;
    const lead = response.remainingTtlMs ?? Math.max(0, (response.expiresAtMs ?? 0) - this.#rt.clock.now());
    return new Heartbeat(this.#rt, grant, lead, this.#options.heartbeat ?? {});
  }

  #unreachable(
    attempt: { subject: Subject; action: Action; key: string },
    spec: Pick<CallSpec, 'action' | 'estimate' | 'overagePolicy'>,
    error: unknown,
    call?: CallTrace,
  ): ReservationHandle {
    if ((this.#options.failMode ?? 'closed') === 'closed') {
      this.#rt.emit({ type: 'fail_closed', ...attempt, error });
      const closed = new AuthorityUnavailableError(
        `authority unreachable; ${spec.action.kind} ${spec.action.name} not run (fail closed)`,
        error,
      );
      call?.fail(closed);
      call?.end();
      throw closed;
    }
    this.#rt.emit({ type: 'fail_open', ...attempt, error });
    call?.failedOpen(spec.estimate);
    const grant: Grant = { ...attempt, decision: 'ALLOW', estimate: spec.estimate, enforced: false };
    return new ReservationHandle(this.#rt, grant, undefined, spec.overagePolicy, undefined, call);
  }
}

export const createGovernor = (options: GovernorOptions): Governor => new Governor(options);
