import type { LanguageModelV4CallOptions, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import {
  type Authority,
  AuthorityUnavailableError,
  BudgetDeniedError,
  circuitOpenMessage,
  createGovernor,
  IMAGE_TOKENS,
  type MemoryAuthority,
  UnknownModelPriceError,
} from '@governor/core';
import {
  defaultSettingsMiddleware,
  generateText,
  isStepCount,
  jsonSchema,
  streamText,
  tool,
  wrapLanguageModel,
} from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { describe, expect, it, vi } from 'vitest';
import { budgetExhausted, governModel, governorMiddleware, governTools } from '../src/index.js';
import { CHEAP, costOf, MODEL, PROMPT_X_COST, setup, textResult, toolCallResult, usage } from './support.js';

const lookup = tool({ inputSchema: jsonSchema<object>({ type: 'object' }), execute: async () => 'found' });

/** Runs `RUN_BUDGET`, then spends `percent` of it, with `tiers` as the degradation policy. */
async function spentTo(percent: number, tiers: { atPercent: number; caps: object }[], usd = 10_000_000) {
  const env = await setup({ usd });
  await env.ledger.setDegradationPolicy({ tiers });
  const prior = (usd * percent) / 100;
  const action = { kind: 'llm.completion', name: 'earlier' };
  await env.governor.run({ action, estimate: { unit: 'USD_MICROCENTS', amount: prior } }, () => ({
    value: null,
    actual: prior,
  }));
  return { ...env, prior };
}

/** A provider that streams as long as it is read (one word per pull) and never finishes by itself. */
function endlessStream() {
  let cancelled = false;
  let n = 0;
  const stream = new ReadableStream<LanguageModelV4StreamPart>(
    {
      start(controller) {
        controller.enqueue({ type: 'stream-start', warnings: [] });
        controller.enqueue({ type: 'text-start', id: 't1' });
      },
      pull(controller) {
        controller.enqueue({ type: 'text-delta', id: 't1', delta: `word${n++} ` });
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, cancelled: () => cancelled };
}

describe('1. abandoned streams are settled within the idle limit', () => {
  it.each([
    ['never read', async (_result: ReturnType<typeof streamText>) => {}],
    [
      'broken out of after the first chunk',
      async (result: ReturnType<typeof streamText>) => {
        for await (const _ of result.textStream) break;
      },
    ],
  ])('a stream %s: the reservation is settled and heartbeats stop', async (_name, consume) => {
    const { clock, governor, events, budget, settled } = await setup(
      {},
      { handles: { idleTimeoutMs: 30_000 } },
    );
    const source = endlessStream();
    const mock = new MockLanguageModelV4({ ...MODEL, doStream: { stream: source.stream } });
    const result = streamText({ model: governModel(mock, { governor }), prompt: 'x', onError: () => {} });
    await vi.waitFor(async () => expect((await budget()).reserved).toBeGreaterThan(0));
    await consume(result);
    clock.advance(30_000);
    await governor.drain();
    await vi.waitFor(() => expect(source.cancelled()).toBe(true)); // the provider stops generating
    const abandoned = events.find((e) => e.type === 'abandoned');
    expect(abandoned).toMatchObject({ reason: 'idle' });
    const delivered = abandoned?.type === 'abandoned' ? (abandoned.delivered?.amount as number) : -1;
    expect(delivered).toBeGreaterThanOrEqual(PROMPT_X_COST);
    await settled({ USD_MICROCENTS: delivered });
    const beats = events.filter((e) => e.type === 'heartbeat').length;
    clock.advance(10 * 60_000);
    expect(events.filter((e) => e.type === 'heartbeat')).toHaveLength(beats);
  });
});

describe('3. every authority call has a deadline', () => {
  const hangingCommit = (ledger: MemoryAuthority) => {
    const gates: (() => void)[] = [];
    const authority = {
      ...ledger,
      reserve: ledger.reserve.bind(ledger),
      decide: ledger.decide.bind(ledger),
      release: ledger.release.bind(ledger),
      extend: ledger.extend.bind(ledger),
      event: ledger.event.bind(ledger),
      commit: (...args: Parameters<Authority['commit']>) =>
        new Promise((resolve, reject) => gates.push(() => void ledger.commit(...args).then(resolve, reject))),
    } as unknown as Authority;
    return { authority, answer: () => gates.splice(0).forEach((open) => open()) };
  };

  it('a commit that never answers does not hold back generateText; it lands later with its key', async () => {
    const { clock, ledger, events, settled } = await setup();
    const gate = hangingCommit(ledger);
    const governed = createGovernor({
      authority: gate.authority,
      subject: { tenant: 'acme', workflow: 'support', run: 'r1' },
      clock,
      settleWaitMs: 2_000,
      timeouts: { commit: 600_000 },
      on: (e) => events.push(e),
    });
    const mock = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('hi', usage(100, 5)) });
    const result = await clock.runUntilSettled(
      generateText({ model: governModel(mock, { governor: governed }), prompt: 'x', maxOutputTokens: 50 }),
    );
    expect(result.text).toBe('hi');
    expect(events.some((e) => e.type === 'settlement_backgrounded')).toBe(true);
    gate.answer();
    await governed.drain();
    await settled({ USD_MICROCENTS: costOf(MODEL, 100, 5) });
  });

  it("a hung reserve gives way to the call's abortSignal, even with failMode open; the provider is never called", async () => {
    const { clock, ledger } = await setup();
    const stuck = { ...ledger, reserve: () => new Promise(() => {}) } as unknown as Authority;
    const governor = createGovernor({
      authority: stuck,
      subject: { tenant: 'acme', run: 'r1' },
      clock,
      failMode: 'open',
      timeouts: { reserve: 600_000 },
    });
    const mock = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('hi', usage(1, 1)) });
    const abort = new AbortController();
    const call = generateText({
      model: governModel(mock, { governor }),
      prompt: 'x',
      abortSignal: abort.signal,
      maxRetries: 0,
    });
    abort.abort(new Error('user went away'));
    await expect(call).rejects.toThrow('user went away');
    expect(mock.doGenerateCalls).toHaveLength(0);
  });
});

describe('4. fail-open only when the authority is unreachable', () => {
  it('a bug inside the authority is not an outage: generateText rejects, the provider is not called', async () => {
    const { ledger, clock } = await setup();
    const buggy = {
      ...ledger,
      reserve: async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'amount')");
      },
    } as unknown as Authority;
    const governor = createGovernor({
      authority: buggy,
      subject: { tenant: 'acme', run: 'r1' },
      clock,
      failMode: 'open',
    });
    const mock = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('hi', usage(1, 1)) });
    await expect(
      generateText({ model: governModel(mock, { governor }), prompt: 'x', maxRetries: 0 }),
    ).rejects.toBeInstanceOf(TypeError);
    expect(mock.doGenerateCalls).toHaveLength(0);
  });

  it('an unreachable authority under failMode closed: AuthorityUnavailableError, nothing runs', async () => {
    const { ledger, clock } = await setup();
    const down = {
      ...ledger,
      reserve: async () =>
        Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    } as unknown as Authority;
    const governor = createGovernor({
      authority: down,
      subject: { tenant: 'acme', run: 'r1' },
      clock,
    });
    const mock = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('hi', usage(1, 1)) });
    const call = generateText({ model: governModel(mock, { governor }), prompt: 'x', maxRetries: 0 });
    await expect(clock.runUntilSettled(call)).rejects.toBeInstanceOf(AuthorityUnavailableError);
    expect(mock.doGenerateCalls).toHaveLength(0);
  });
});

describe('5. caps-aware reservation', () => {
  it('a call that fits only after the downgrade and the token cap runs on the cheaper model', async () => {
    // $0.03 left of the run; gpt-4o-mini at 16k output tokens does not fit, nano at 100 tokens does.
    const usd = 10_000_000;
    const { governor, settled, prior } = await spentTo(
      100 - 0.3,
      [{ atPercent: 80, caps: { maxTokens: 100 } }],
      usd,
    );
    const main = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('main', usage(1, 1)) });
    const cheap = new MockLanguageModelV4({ ...CHEAP, doGenerate: textResult('cheap', usage(20, 30)) });
    const result = await generateText({
      model: governModel(main, { governor, downgrade: cheap }),
      prompt: 'x',
      maxOutputTokens: 200_000,
      maxRetries: 0,
    });
    expect(result.text).toBe('cheap');
    expect(main.doGenerateCalls).toHaveLength(0);
    expect(cheap.doGenerateCalls[0]?.maxOutputTokens).toBe(100);
    await settled({ USD_MICROCENTS: prior + costOf(CHEAP, 20, 30) });
  });

  it('denied when even the capped call does not fit', async () => {
    const { governor, settled, prior } = await spentTo(100, [{ atPercent: 80, caps: { maxTokens: 100 } }]);
    const main = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('main', usage(1, 1)) });
    const cheap = new MockLanguageModelV4({ ...CHEAP, doGenerate: textResult('cheap', usage(1, 1)) });
    const error = await generateText({
      model: governModel(main, { governor, downgrade: cheap }),
      prompt: 'x',
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetDeniedError);
    expect(cheap.doGenerateCalls).toHaveLength(0);
    await settled({ USD_MICROCENTS: prior });
  });
});

describe('6. downgrade only when the tier says so, through the whole chain', () => {
  const callOf = (m: MockLanguageModelV4): LanguageModelV4CallOptions | undefined => m.doGenerateCalls[0];

  it('caps that only deny a tool keep the requested model', async () => {
    const { governor } = await spentTo(60, [{ atPercent: 50, caps: { toolDenylist: ['send_email'] } }]);
    const main = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('main', usage(1, 1)) });
    const cheap = new MockLanguageModelV4({ ...CHEAP, doGenerate: textResult('cheap', usage(1, 1)) });
    const result = await generateText({
      model: governModel(main, { governor, downgrade: cheap }),
      prompt: 'x',
    });
    expect(result.text).toBe('main');
    expect(cheap.doGenerateCalls).toHaveLength(0);
  });

  it("the downgraded call keeps the inner middleware's settings and says which model answered", async () => {
    const { governor, settled, prior } = await spentTo(60, [{ atPercent: 50, caps: { maxTokens: 64 } }]);
    const main = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('main', usage(1, 1)) });
    const cheap = new MockLanguageModelV4({ ...CHEAP, doGenerate: textResult('cheap', usage(10, 5)) });
    const result = await generateText({
      model: governModel(main, {
        governor,
        downgrade: cheap,
        middleware: defaultSettingsMiddleware({ settings: { temperature: 0.3 } }),
      }),
      prompt: 'x',
    });
    expect(callOf(cheap)).toMatchObject({ temperature: 0.3, maxOutputTokens: 64 });
    expect(result.response.modelId).toBe(CHEAP.modelId);
    await settled({ USD_MICROCENTS: prior + costOf(CHEAP, 10, 5) });
  });

  it('params-only caps run through the middleware listed after the Governor', async () => {
    const { governor } = await spentTo(60, [{ atPercent: 50, caps: { maxTokens: 64 } }]);
    const main = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('main', usage(1, 1)) });
    const model = wrapLanguageModel({
      model: main,
      middleware: [
        governorMiddleware({ governor }),
        defaultSettingsMiddleware({ settings: { temperature: 0.7 } }),
      ],
    });
    await generateText({ model, prompt: 'x' });
    expect(callOf(main)).toMatchObject({ temperature: 0.7, maxOutputTokens: 64 });
  });

  it('a downgrade model without a price is an error when the middleware is created', async () => {
    const { governor } = await setup();
    const unknown = new MockLanguageModelV4({ provider: 'acme', modelId: 'no-such-model' });
    expect(() => governorMiddleware({ governor, downgrade: unknown })).toThrow(UnknownModelPriceError);
  });
});

describe('7. images count in the estimate; an under-estimate is said out loud', () => {
  it('an image part reserves at least its image tokens', async () => {
    const { governor, events } = await setup();
    const mock = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('a cat', usage(1_700, 3)) });
    await generateText({
      model: governModel(mock, { governor }),
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'file', data: new Uint8Array(50_000), mediaType: 'image/png' },
          ],
        },
      ],
      maxOutputTokens: 10,
    });
    const decision = events.find((e) => e.type === 'decision');
    expect(decision?.estimate.amount).toBeGreaterThanOrEqual(costOf(MODEL, IMAGE_TOKENS, 10));
  });

  it('usage above the reservation that the budget cannot cover: charged what fits, the shortfall reported', async () => {
    const { governor, events, budget } = await setup({ usd: 20_000 });
    const mock = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('long', usage(100_000, 10)) });
    await generateText({ model: governModel(mock, { governor }), prompt: 'x', maxOutputTokens: 10 });
    const capped = events.find((e) => e.type === 'commit_capped');
    expect(capped).toMatchObject({ actual: { amount: costOf(MODEL, 100_000, 10) } });
    expect((await budget()).isOverLimit).toBe(true);
  });
});

describe('8. budgetExhausted stops before the denial', () => {
  /** Calls a tool every step; each step's output grows the next prompt. */
  const growing = () =>
    new MockLanguageModelV4({
      ...MODEL,
      doGenerate: async (call) =>
        toolCallResult('lookup', { q: 'x'.repeat(400) }, usage(call.prompt.length * 200, 150)),
    });

  it.each([30_000, 55_000, 80_000, 120_000, 200_000, 333_333])(
    'run budget %i µ¢: the loop ends by the stop condition, never by a rejection',
    async (usd) => {
      const { governor, settled, budget } = await setup({ usd });
      const result = await generateText({
        model: governModel(growing(), { governor }),
        tools: governTools({ lookup }, { governor }),
        prompt: 'x',
        maxOutputTokens: 200,
        maxRetries: 0,
        stopWhen: [budgetExhausted({ governor }), isStepCount(100)],
      });
      expect(result.steps.length).toBeGreaterThan(0);
      expect(result.steps.length).toBeLessThan(100);
      const spent = (await budget()).spent;
      await settled({ USD_MICROCENTS: spent });
    },
  );

  it('stops when no offered tool can be paid for in risk points', async () => {
    const { governor, settled } = await setup({ riskPoints: 2 });
    const send_email = tool({
      inputSchema: jsonSchema<object>({ type: 'object' }),
      execute: async () => 'sent',
    });
    const tools = { send_email };
    const model = new MockLanguageModelV4({
      ...MODEL,
      doGenerate: async () => toolCallResult('send_email', {}, usage(50, 10)),
    });
    const riskPoints = { send_email: 1 };
    const result = await generateText({
      model: governModel(model, { governor }),
      tools: governTools(tools, { governor, riskPoints }),
      prompt: 'x',
      stopWhen: [budgetExhausted({ governor, tools, riskPoints }), isStepCount(20)],
    });
    expect(result.steps).toHaveLength(2);
    await settled({ RISK_POINTS: 2, USD_MICROCENTS: 2 * costOf(MODEL, 50, 10) });
  });
});

describe('9. a model that ignores denials is stopped by the circuit breaker', () => {
  it('three denied calls in a row end the loop with a final message; no more model calls are paid', async () => {
    const { governor, settled } = await setup(
      { riskPoints: 1 },
      { circuitBreaker: { maxConsecutiveDenials: 3 } },
    );
    const sent: string[] = [];
    const send_email = tool({
      inputSchema: jsonSchema<object>({ type: 'object' }),
      execute: async () => {
        sent.push('email');
        return 'sent';
      },
    });
    const stubborn = new MockLanguageModelV4({
      ...MODEL,
      doGenerate: async () => toolCallResult('send_email', {}, usage(50, 10)),
    });
    const result = await generateText({
      model: governModel(stubborn, { governor }),
      tools: governTools({ send_email }, { governor, riskPoints: { send_email: 1 } }),
      prompt: 'x',
      stopWhen: isStepCount(30),
    });
    expect(sent).toHaveLength(1);
    expect(stubborn.doGenerateCalls).toHaveLength(4); // 1 that ran + 3 denied
    expect(result.text).toBe(circuitOpenMessage(3));
    await settled({ RISK_POINTS: 1, USD_MICROCENTS: 4 * costOf(MODEL, 50, 10) });
  });
});

describe('10. caps before points', () => {
  it('a 0-point tool the caps deny does not run when the model calls it anyway', async () => {
    const { governor, settled, prior } = await spentTo(60, [
      { atPercent: 50, caps: { toolDenylist: ['lookup'] } },
    ]);
    const ran: string[] = [];
    const guarded = tool({
      inputSchema: jsonSchema<object>({ type: 'object' }),
      execute: async () => {
        ran.push('lookup');
        return 'found';
      },
    });
    let step = 0;
    const model = new MockLanguageModelV4({
      ...MODEL,
      doGenerate: async () =>
        step++ === 0 ? toolCallResult('lookup', {}, usage(10, 2)) : textResult('ok', usage(10, 2)),
    });
    const result = await generateText({
      model: governModel(model, { governor }),
      tools: governTools({ lookup: guarded }, { governor }),
      prompt: 'x',
      stopWhen: isStepCount(3),
    });
    expect(ran).toEqual([]);
    expect(JSON.stringify(result.steps[0]?.content)).toContain('not allowed');
    await settled({ USD_MICROCENTS: prior + 2 * costOf(MODEL, 10, 2) });
  });

  it.each([Number.NaN, -3, 1.5, '2' as unknown as number])(
    'risk points of %s deny the call and say why',
    async (points) => {
      const { governor, settled } = await setup({ riskPoints: 10 });
      const ran: string[] = [];
      const refund = tool({
        inputSchema: jsonSchema<object>({ type: 'object' }),
        execute: async () => {
          ran.push('refund');
          return 'refunded';
        },
      });
      const tools = governTools({ refund }, { governor, riskPoints: { refund: () => points } });
      const answer = await tools.refund.execute?.({}, { toolCallId: 't', messages: [], context: {} });
      expect(ran).toEqual([]);
      expect(answer).toMatch(/not executed: refund was denied — its risk points must be/);
      await settled({ RISK_POINTS: 0 });
    },
  );
});

describe('options are checked when the middleware is made', () => {
  it('an old or misspelt option name is an error naming it', async () => {
    const { governor } = await setup();
    expect(() => governorMiddleware({ governor, maxTokens: 5 } as never)).toThrow(
      /governorMiddleware\.maxTokens: is not a known field/,
    );
    expect(() => governTools({}, { governor, onDeny: 'message' } as never)).toThrow(
      /governTools\.onDeny: must be one of result, throw/,
    );
    expect(() => governModel(new MockLanguageModelV4(MODEL), { governor: {} } as never)).toThrow(
      /governModel\.governor: must be a Governor/,
    );
  });
});
