/**
 * OpenTelemetry: real Governor calls on a MemoryAuthority, recorded by the
 * SDK's in-memory span exporter and a metric reader collected by hand.
 */
import {
  type Authority,
  BudgetDeniedError,
  createGovernor,
  type GovernorOptions,
  InvalidRequestError,
  ManualClock,
  MemoryAuthority,
  TransportError,
} from '@governor/core';
import { context, metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const USD = 'USD_MICROCENTS' as const;
const RUN = 'tenant:acme/workflow:support/run:r1';
const llm = { kind: 'llm.completion', name: 'openai:gpt-4o-mini' };
const cost = (amount: number) => ({ unit: USD, amount });

/** Each collect() returns what changed since the last one. */
class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const exporter = new InMemorySpanExporter();
const reader = new TestReader();

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
});

afterAll(() => {
  trace.disable();
  metrics.disable();
  context.disable();
});

beforeEach(async () => {
  exporter.reset();
  await reader.collect(); // start each test from zero
});

/** The Governor's metric points by instrument name. */
async function collect(): Promise<Map<string, DataPoint<unknown>[]>> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  const scope = resourceMetrics.scopeMetrics.find((s) => s.scope.name === '@governor/core');
  return new Map(scope?.metrics.map((m) => [m.descriptor.name, m.dataPoints as DataPoint<unknown>[]]) ?? []);
}

const finished = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);
const only = (name: string): ReadableSpan => {
  const spans = finished(name);
  expect(spans).toHaveLength(1);
  return spans[0] as ReadableSpan;
};
const childOf = (child: ReadableSpan, parent: ReadableSpan) =>
  expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);

/** A governor on a MemoryAuthority; `override` answers some of its operations otherwise. */
async function setup(
  options: Partial<GovernorOptions> = {},
  override?: (ledger: MemoryAuthority, clock: ManualClock) => Partial<Authority>,
) {
  const clock = new ManualClock();
  const ledger = new MemoryAuthority({ clock });
  await ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 10_000 });
  await ledger.createBudget({ scope: RUN, unit: USD, allocated: 1_000 });
  const own = override?.(ledger, clock) ?? {};
  const authority = new Proxy(ledger, {
    get(target, prop) {
      const replaced = own[prop as keyof Authority];
      if (replaced) return replaced;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Authority;
  const governor = createGovernor({
    authority,
    subject: { tenant: 'acme', workflow: 'support', run: 'r1' },
    clock,
    ...options,
  });
  return { clock, ledger, governor };
}

/** `fn`, answering `ms` of clock time later. */
const delayed =
  <A extends unknown[], R>(clock: ManualClock, ms: number, fn: (...args: A) => Promise<R>) =>
  async (...args: A): Promise<R> => {
    await clock.sleep(ms);
    return fn(...args);
  };

describe('spans', () => {
  it('ALLOW: one span from reserve to commit, with the reserve and commit spans as children', async () => {
    const { governor } = await setup();
    let active: string | undefined;
    await governor.run({ action: llm, estimate: cost(400) }, () => {
      active = trace.getActiveSpan()?.spanContext().spanId;
      return { value: 'ok', actual: 250 };
    });
    const call = only('governor llm.completion');
    expect(call.attributes).toMatchObject({
      'governor.action.kind': 'llm.completion',
      'governor.action.name': 'openai:gpt-4o-mini',
      'governor.scope_path': RUN,
      'governor.affected_scopes': ['tenant:acme', RUN], // the scopes with a budget
      'governor.decision': 'ALLOW',
      'governor.enforced': true,
      'governor.unit': USD,
      'governor.estimated': 400,
      'governor.reserved': 400,
      'governor.charged': 250,
      'governor.actual_source': 'reported',
      'governor.settlement': 'committed',
    });
    expect(call.attributes['governor.reservation_id']).toEqual(expect.any(String));
    expect(call.attributes['governor.reason_code']).toBeUndefined();
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(active).toBe(call.spanContext().spanId); // the work runs inside the call's span
    childOf(only('governor.reserve'), call);
    const commit = only('governor.commit');
    childOf(commit, call);
    expect(commit.attributes).toMatchObject({ 'governor.settlement': 'committed', 'governor.charged': 250 });
  });

  it('ALLOW_WITH_CAPS: the decision and the caps on the span', async () => {
    const { governor, ledger } = await setup();
    await ledger.createBudget({
      scope: 'tenant:acme/workflow:support',
      unit: USD,
      allocated: 5_000,
      caps: { maxTokens: 64 },
    });
    await governor.run({ action: llm, estimate: cost(100) }, () => ({ value: 1, actual: 'estimate' }));
    expect(only('governor llm.completion').attributes).toMatchObject({
      'governor.decision': 'ALLOW_WITH_CAPS',
      'governor.caps.max_tokens': 64,
      'governor.charged': 100,
      'governor.actual_source': 'estimate',
    });
  });

  it('DENY: the decision, the reason code and the blocking scope; not an error, nothing settled', async () => {
    const { governor } = await setup();
    await expect(
      governor.run({ action: llm, estimate: cost(5_000) }, () => ({ value: 1, actual: 1 })),
    ).rejects.toBeInstanceOf(BudgetDeniedError);
    const call = only('governor llm.completion');
    expect(call.attributes).toMatchObject({
      'governor.decision': 'DENY',
      'governor.reason_code': 'BUDGET_EXCEEDED',
      'governor.scope': RUN,
      'governor.reserved': 0,
      'governor.estimated': 5_000,
    });
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(finished('governor.commit')).toEqual([]);
    expect(finished('governor.release')).toEqual([]);
  });

  it('a failing work: ERROR with the exception, the reservation released under a release span', async () => {
    const { governor } = await setup();
    await expect(
      governor.run({ action: llm, estimate: cost(400) }, () => {
        throw new Error('provider exploded');
      }),
    ).rejects.toThrow('provider exploded');
    const call = only('governor llm.completion');
    expect(call.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'provider exploded' });
    expect(call.attributes).toMatchObject({ 'governor.settlement': 'released', 'error.type': 'Error' });
    expect(call.events.find((e) => e.name === 'exception')?.attributes).toMatchObject({
      'exception.message': 'provider exploded',
    });
    childOf(only('governor.release'), call);
  });

  it('fail closed: ERROR with the AuthorityUnavailableError', async () => {
    const { clock, governor } = await setup({}, () => ({
      reserve: () => Promise.reject(new TransportError('connection refused')),
    }));
    const run = governor.run({ action: llm, estimate: cost(1) }, () => ({ value: 1, actual: 1 }));
    await expect(clock.runUntilSettled(run)).rejects.toThrow(/fail closed/);
    const call = only('governor llm.completion');
    expect(call.status.code).toBe(SpanStatusCode.ERROR);
    expect(call.attributes['error.type']).toBe('AuthorityUnavailableError');
    expect(only('governor.reserve').status.code).toBe(SpanStatusCode.ERROR);
  });

  it('a commit that fails for good: ERROR on the commit span and the call span', async () => {
    const { governor } = await setup({}, () => ({
      commit: () => Promise.reject(new InvalidRequestError([{ path: 'actual', message: 'refused' }])),
    }));
    const handle = await governor.begin({ action: llm, estimate: cost(400) });
    expect((await handle.commit(100)).outcome).toBe('failed');
    const commit = only('governor.commit');
    expect(commit.status.code).toBe(SpanStatusCode.ERROR);
    expect(commit.attributes).toMatchObject({
      'governor.settlement': 'failed',
      'error.type': 'InvalidRequestError',
    });
    expect(only('governor llm.completion').status.code).toBe(SpanStatusCode.ERROR);
  });

  it('an abandoned handle: the span stays open until the idle limit settles it, then records the partial charge', async () => {
    const { clock, governor } = await setup({ handles: { idleTimeoutMs: 10_000 } });
    const handle = await governor.begin({ action: llm, estimate: cost(400) });
    handle.progress(70);
    clock.advance(9_999);
    expect(finished('governor llm.completion')).toEqual([]);
    await clock.runUntilSettled(Promise.resolve(clock.advance(1)));
    await governor.drain();
    const call = only('governor llm.completion');
    expect(call.attributes).toMatchObject({
      'governor.abandon_reason': 'idle',
      'governor.settlement': 'committed',
      'governor.charged': 70,
      'governor.actual_source': 'partial',
    });
    expect(call.events.find((e) => e.name === 'governor.abandoned')?.attributes).toMatchObject({
      'governor.abandon_reason': 'idle',
      'governor.delivered': 70,
    });
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    childOf(only('governor.commit'), call);
  });

  it('a settlement that goes on in the background: the span ends when it does', async () => {
    const { clock, governor } = await setup({ settleWaitMs: 10 }, (l, c) => ({
      commit: delayed(c, 30, l.commit.bind(l)),
    }));
    const handle = await governor.begin({ action: llm, estimate: cost(400) });
    const outcome = await clock.runUntilSettled(handle.commit(200));
    expect(outcome.outcome).toBe('pending');
    expect(finished('governor llm.completion')).toEqual([]);
    await clock.runUntilSettled(governor.drain());
    const call = only('governor llm.completion');
    expect(call.attributes).toMatchObject({ 'governor.backgrounded': true, 'governor.charged': 200 });
    expect(call.events.map((e) => e.name)).toContain('governor.settlement_backgrounded');
  });
});

const sumOf = (point: DataPoint<unknown> | undefined) => (point?.value as Histogram | undefined)?.sum;
const countOf = (point: DataPoint<unknown> | undefined) => (point?.value as Histogram | undefined)?.count;

describe('metrics', () => {
  it('counts decisions by outcome and reason code', async () => {
    const { governor, ledger } = await setup();
    const work = () => ({ value: 1, actual: 'estimate' as const });
    await governor.run({ action: llm, estimate: cost(100) }, work);
    await governor.run({ action: llm, estimate: cost(100) }, work);
    await expect(governor.run({ action: llm, estimate: cost(5_000) }, work)).rejects.toThrow(
      BudgetDeniedError,
    );
    await ledger.createBudget({
      scope: 'tenant:acme/workflow:support',
      unit: USD,
      allocated: 5_000,
      caps: { maxTokens: 8 },
    });
    await governor.run({ action: llm, estimate: cost(100) }, work);
    const decisions = (await collect()).get('governor.decisions') ?? [];
    const count = (attributes: Record<string, unknown>) =>
      decisions.find((p) => JSON.stringify(p.attributes) === JSON.stringify(attributes))?.value;
    const base = { 'governor.action.kind': 'llm.completion', 'governor.enforced': true };
    expect(decisions).toHaveLength(3);
    expect(count({ 'governor.decision': 'ALLOW', ...base })).toBe(2);
    expect(count({ 'governor.decision': 'ALLOW_WITH_CAPS', ...base })).toBe(1);
    expect(count({ 'governor.decision': 'DENY', ...base, 'governor.reason_code': 'BUDGET_EXCEEDED' })).toBe(
      1,
    );
  });

  it("reserve and commit latency in ms, on the Governor's clock", async () => {
    const { clock, governor } = await setup({}, (l, c) => ({
      reserve: delayed(c, 120, l.reserve.bind(l)),
      commit: delayed(c, 30, l.commit.bind(l)),
    }));
    await clock.runUntilSettled(
      governor.run({ action: llm, estimate: cost(100) }, () => ({ value: 1, actual: 90 })),
    );
    const points = await collect();
    const reserve = points.get('governor.reserve.duration')?.[0];
    const commit = points.get('governor.commit.duration')?.[0];
    expect([countOf(reserve), sumOf(reserve)]).toEqual([1, 120]);
    expect(reserve?.attributes).toEqual({ 'governor.action.kind': 'llm.completion' });
    expect([countOf(commit), sumOf(commit)]).toEqual([1, 30]);
    expect(commit?.attributes).toEqual({
      'governor.action.kind': 'llm.completion',
      'governor.settlement': 'committed',
    });
  });

  it('budget gauges only for registered budgets, read at most once per maxAgeMs', async () => {
    let reads = 0;
    const { clock, governor } = await setup({}, (ledger) => ({
      balances: (query) => {
        reads++;
        return ledger.balances(query);
      },
    }));
    const gauges = async () => {
      const points = await collect();
      return {
        reserved: points.get('governor.budget.reserved'),
        remaining: points.get('governor.budget.remaining'),
      };
    };
    expect(await gauges()).toEqual({ reserved: undefined, remaining: undefined });
    expect(reads).toBe(0); // nothing registered: the ledger is never read

    const stop = governor.observeBudgets([{ scope: RUN, unit: USD }], { maxAgeMs: 5_000 });
    const handle = await governor.begin({ action: llm, estimate: cost(400) });
    const first = await gauges();
    const attributes = { 'governor.scope': RUN, 'governor.unit': USD };
    expect(first.reserved?.map((p) => [p.attributes, p.value])).toEqual([[attributes, 400]]);
    expect(first.remaining?.map((p) => p.value)).toEqual([600]);
    await handle.commit(300);
    await gauges();
    expect(reads).toBe(1); // within maxAgeMs: the last reading, no second query
    clock.advance(5_000);
    const later = await gauges();
    expect(reads).toBe(2);
    expect([later.reserved?.[0]?.value, later.remaining?.[0]?.value]).toEqual([0, 700]);

    stop();
    expect(await gauges()).toEqual({ reserved: undefined, remaining: undefined });
    expect(reads).toBe(2);
  });

  it('observeBudgets rejects a malformed scope', async () => {
    const { governor } = await setup();
    expect(() => governor.observeBudgets([{ scope: 'acme', unit: USD }])).toThrow(/tenant/);
  });
});
