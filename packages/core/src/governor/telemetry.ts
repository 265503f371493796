/**
 * OpenTelemetry for the lifecycle, through `@opentelemetry/api` alone: with no
 * SDK registered every span and instrument is the API's no-op, and no
 * attribute is built for a span that does not record. A call that nothing
 * observes (the API's no-op span with no parent, no meter provider) is the
 * shared `SILENT_CALL`: no context, child span or timing is made for it.
 *
 * One span per call, `governor <action.kind>`, from `begin` (or `run`) to its
 * settlement — so a stream's span covers the stream — with the children
 * `governor.reserve` and `governor.commit` / `governor.release`. The names
 * and attributes are listed in the README ("Observability").
 */
import {
  type Attributes,
  type Context,
  type Counter,
  context,
  createNoopMeter,
  type Histogram,
  INVALID_SPAN_CONTEXT,
  type Meter,
  metrics,
  type Span,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { Clock } from '../clock.js';
import type { Action, Amount, Caps, Decision, ReasonCode, Subject } from '../protocol/types.js';
import { scopePathOf } from '../scopes.js';

export const INSTRUMENTATION_NAME = '@governor/core';

/** The attribute names, one scheme for spans and metrics. */
export const ATTR = {
  actionKind: 'governor.action.kind',
  actionName: 'governor.action.name',
  scopePath: 'governor.scope_path',
  affectedScopes: 'governor.affected_scopes',
  scope: 'governor.scope',
  decision: 'governor.decision',
  reasonCode: 'governor.reason_code',
  enforced: 'governor.enforced',
  reservationId: 'governor.reservation_id',
  unit: 'governor.unit',
  estimated: 'governor.estimated',
  reserved: 'governor.reserved',
  capsMaxTokens: 'governor.caps.max_tokens',
  charged: 'governor.charged',
  actualSource: 'governor.actual_source',
  settlement: 'governor.settlement',
  abandonReason: 'governor.abandon_reason',
  backgrounded: 'governor.backgrounded',
  failOpen: 'governor.fail_open',
  errorType: 'error.type',
} as const;

const tracer = trace.getTracer(INSTRUMENTATION_NAME);

const MS_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000];

/** The Governor's instruments, made from the meter provider registered when it is created. */
export class Telemetry {
  readonly meter: Meter;
  readonly clock: Clock;
  readonly #decisions: Counter;
  readonly #reserveMs: Histogram;
  readonly #commitMs: Histogram;
  /** No meter provider was registered when this was made: the instruments are the API's no-ops. */
  readonly #noMetrics: boolean;

  constructor(clock: Clock) {
    this.clock = clock;
    this.meter = metrics.getMeter(INSTRUMENTATION_NAME);
    this.#noMetrics = this.meter === createNoopMeter();
    this.#decisions = this.meter.createCounter('governor.decisions', {
      description: 'Decisions on reservations, by outcome and reason code',
      unit: '{decision}',
    });
    const advice = { explicitBucketBoundaries: MS_BUCKETS };
    this.#reserveMs = this.meter.createHistogram('governor.reserve.duration', {
      description: 'Time to a reservation’s answer, retries and the capped second try included',
      unit: 'ms',
      advice,
    });
    this.#commitMs = this.meter.createHistogram('governor.commit.duration', {
      description: 'Time from a commit’s start to its settlement, retries and background included',
      unit: 'ms',
      advice,
    });
  }

  /**
   * Start the span of one call, a child of the active span; `SILENT_CALL`
   * when the span is the API's no-op without a parent and nothing is metered.
   */
  call(action: Action): CallTrace {
    const span = tracer.startSpan(`governor ${action.kind}`, {
      attributes: { [ATTR.actionKind]: action.kind, [ATTR.actionName]: action.name },
    });
    if (this.#noMetrics && span.spanContext() === INVALID_SPAN_CONTEXT) return SILENT_CALL;
    return new SpanCall(this, action.kind, span);
  }

  countDecision(attributes: Attributes): void {
    this.#decisions.add(1, attributes);
  }

  recordReserve(ms: number, attributes: Attributes): void {
    this.#reserveMs.record(ms, attributes);
  }

  recordCommit(ms: number, attributes: Attributes): void {
    this.#commitMs.record(ms, attributes);
  }
}

/** What the authority answered for a reservation, as the call records it. */
export interface DecisionDetails {
  decision: Decision;
  reasonCode?: ReasonCode | undefined;
  /** The blocking scope, on DENY. */
  scope?: string | undefined;
  affectedScopes?: string[] | undefined;
  reservationId?: string | undefined;
  /** What was reserved (the estimate, or its capped price). */
  estimate: Amount;
  caps?: Caps | undefined;
  enforced: boolean;
}

export type SettlementResult =
  | { outcome: 'committed' | 'event'; charged: Amount }
  | { outcome: 'released' }
  | { outcome: 'failed'; error: unknown };

/** What the lifecycle tells the telemetry about one call. */
export interface CallTrace {
  /** Run `fn` with this call's span active: nested calls and provider spans become its children. */
  within<T>(fn: () => T): T;
  /** The reservation request(s) under a `governor.reserve` span, timed. */
  reserve<T>(subject: Subject, fn: () => Promise<T>): Promise<T>;
  /** The authority's answer: on the call span, and counted. */
  decided(details: DecisionDetails): void;
  /** The authority could not be reached and the call goes ahead unenforced. */
  failedOpen(estimate: Amount): void;
  /** The call failed: ERROR status and the exception on the call span (it does not end it). */
  fail(error: unknown): void;
  /** The handle settles without its owner's report. */
  abandoned(reason: string, detail: string, delivered: Amount | undefined): void;
  /** The caller got its answer; the settlement goes on in the background. */
  backgrounded(operation: string, waitedMs: number): void;
  /** The settlement under a `governor.commit` / `governor.release` span; the call span ends when it does. */
  settle<T>(
    operation: 'commit' | 'release',
    fn: () => Promise<T>,
    resultOf: (value: T) => SettlementResult,
    source?: string,
  ): Promise<T>;
  /** End the call span (once). */
  end(): void;
}

const nothing = () => {};

/** The call nothing observes: every method is free. */
export const SILENT_CALL: CallTrace = {
  within: (fn) => fn(),
  reserve: (_subject, fn) => fn(),
  decided: nothing,
  failedOpen: nothing,
  fail: nothing,
  abandoned: nothing,
  backgrounded: nothing,
  settle: (_operation, fn) => fn(),
  end: nothing,
};

/** The span of one call, from begin to settlement, and the metrics it feeds. */
class SpanCall implements CallTrace {
  readonly #t: Telemetry;
  readonly #span: Span;
  readonly #context: Context;
  readonly #kind: string;
  #ended = false;

  constructor(telemetry: Telemetry, kind: string, span: Span) {
    this.#t = telemetry;
    this.#kind = kind;
    this.#span = span;
    this.#context = trace.setSpan(context.active(), span);
  }

  /** Run `fn` with this call's span active: nested calls and provider spans become its children. */
  within<T>(fn: () => T): T {
    return context.with(this.#context, fn);
  }

  /** The reservation request(s) under a `governor.reserve` span, timed. */
  async reserve<T>(subject: Subject, fn: () => Promise<T>): Promise<T> {
    if (this.#span.isRecording()) this.#span.setAttribute(ATTR.scopePath, scopePathOf(subject));
    const span = tracer.startSpan('governor.reserve', undefined, this.#context);
    const started = this.#t.clock.now();
    try {
      const value = await context.with(trace.setSpan(this.#context, span), fn);
      this.#t.recordReserve(this.#t.clock.now() - started, { [ATTR.actionKind]: this.#kind });
      return value;
    } catch (error) {
      failSpan(span, error);
      this.#t.recordReserve(this.#t.clock.now() - started, {
        [ATTR.actionKind]: this.#kind,
        [ATTR.errorType]: errorType(error),
      });
      throw error;
    } finally {
      span.end();
    }
  }

  /** The authority's answer: on the call span, and counted. */
  decided(details: DecisionDetails): void {
    const outcome: Attributes = {
      [ATTR.decision]: details.decision,
      [ATTR.actionKind]: this.#kind,
      [ATTR.enforced]: details.enforced,
      ...(details.reasonCode ? { [ATTR.reasonCode]: details.reasonCode } : {}),
    };
    this.#t.countDecision(outcome);
    if (!this.#span.isRecording()) return;
    this.#span.setAttributes({
      ...outcome,
      [ATTR.unit]: details.estimate.unit,
      [ATTR.reserved]: details.reservationId ? details.estimate.amount : 0,
      [ATTR.estimated]: details.estimate.amount,
      ...(details.scope ? { [ATTR.scope]: details.scope } : {}),
      ...(details.affectedScopes?.length ? { [ATTR.affectedScopes]: details.affectedScopes } : {}),
      ...(details.reservationId ? { [ATTR.reservationId]: details.reservationId } : {}),
      ...(details.caps?.maxTokens !== undefined ? { [ATTR.capsMaxTokens]: details.caps.maxTokens } : {}),
    });
  }

  /** The authority could not be reached and the call goes ahead unenforced. */
  failedOpen(estimate: Amount): void {
    if (!this.#span.isRecording()) return;
    this.#span.setAttributes({
      [ATTR.decision]: 'ALLOW',
      [ATTR.enforced]: false,
      [ATTR.failOpen]: true,
      [ATTR.unit]: estimate.unit,
      [ATTR.estimated]: estimate.amount,
    });
  }

  /** The call failed: ERROR status and the exception on the call span (it does not end it). */
  fail(error: unknown): void {
    failSpan(this.#span, error);
  }

  /** The handle settles without its owner's report. */
  abandoned(reason: string, detail: string, delivered: Amount | undefined): void {
    if (!this.#span.isRecording()) return;
    this.#span.setAttribute(ATTR.abandonReason, reason);
    this.#span.addEvent('governor.abandoned', {
      [ATTR.abandonReason]: reason,
      'governor.abandon_detail': detail,
      ...(delivered ? { 'governor.delivered': delivered.amount } : {}),
    });
    if (reason === 'failed') this.#span.setStatus({ code: SpanStatusCode.ERROR, message: detail });
  }

  /** The caller got its answer; the settlement goes on in the background. */
  backgrounded(operation: string, waitedMs: number): void {
    if (!this.#span.isRecording()) return;
    this.#span.setAttribute(ATTR.backgrounded, true);
    this.#span.addEvent('governor.settlement_backgrounded', { 'governor.operation': operation, waitedMs });
  }

  /**
   * The settlement under a `governor.commit` / `governor.release` span; the
   * call span ends when it does (in the background too). Never rejects
   * unless `fn` does.
   */
  settle<T>(
    operation: 'commit' | 'release',
    fn: () => Promise<T>,
    resultOf: (value: T) => SettlementResult,
    source?: string,
  ): Promise<T> {
    const span = tracer.startSpan(
      `governor.${operation}`,
      source ? { attributes: { [ATTR.actualSource]: source } } : undefined,
      this.#context,
    );
    const started = this.#t.clock.now();
    const finish = (result: SettlementResult) => {
      if (operation === 'commit') {
        this.#t.recordCommit(this.#t.clock.now() - started, {
          [ATTR.actionKind]: this.#kind,
          [ATTR.settlement]: result.outcome,
        });
      }
      for (const target of [span, this.#span]) {
        if (!target.isRecording()) continue;
        target.setAttribute(ATTR.settlement, result.outcome);
        if ('charged' in result) {
          target.setAttributes({ [ATTR.charged]: result.charged.amount, [ATTR.unit]: result.charged.unit });
        }
        if (source) target.setAttribute(ATTR.actualSource, source);
        if (result.outcome === 'failed') failSpan(target, result.error);
      }
      span.end();
      this.end();
    };
    const settlement = context.with(trace.setSpan(this.#context, span), fn);
    void settlement.then(
      (value) => finish(resultOf(value)),
      (error: unknown) => finish({ outcome: 'failed', error }),
    );
    return settlement;
  }

  /** End the call span (once). */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#span.end();
  }
}

function failSpan(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
  span.setAttribute(ATTR.errorType, errorType(error));
}

/** The error's class name (`AuthorityUnavailableError`, `TypeError`): low-cardinality, as `error.type` should be. */
const errorType = (error: unknown): string => (error instanceof Error ? error.name : typeof error);
