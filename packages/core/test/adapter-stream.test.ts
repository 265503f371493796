import {
  BudgetDeniedError,
  capModelCall,
  createGovernor,
  createPricing,
  estimateTokens,
  type GovernorEvent,
  type GovernorOptions,
  guardToolCall,
  ManualClock,
  MemoryAuthority,
  planModelCall,
  RunEvents,
  type StreamHooks,
  settleStream,
  streamModelCall,
  type TokenUsage,
  trackDelivery,
} from '@governor/core';
import { assertLedgerInvariant } from '@governor/core/testing';
import { describe, expect, it } from 'vitest';

const USD = 'USD_MICROCENTS' as const;
const RUN = 'tenant:acme/workflow:support/run:r1';
const MODEL = { modelId: 'acme-llm-1' };
const pricing = createPricing({
  prices: { 'acme-llm-1': { inputPerMillionUsd: 100, outputPerMillionUsd: 200 } },
});
const PROMPT = 'Summarise the ticket in one line, please.';

/** A framework's stream parts, as the hooks see them. */
type Part = { type: 'text'; text: string } | { type: 'finish'; usage?: TokenUsage } | { type: 'error' };
const hooks: StreamHooks<Part> = {
  deltaOf: (part) => (part.type === 'text' ? part.text : undefined),
  finishOf: (part) => (part.type === 'finish' ? { usage: part.usage } : undefined),
  isError: (part) => part.type === 'error',
};

async function setup(options: Partial<GovernorOptions> = {}, subject = { run: 'r1' }) {
  const clock = new ManualClock();
  const ledger = new MemoryAuthority({ clock });
  await ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 100_000_000_000 });
  await ledger.createBudget({ scope: RUN, unit: USD, allocated: 10_000_000_000 });
  await ledger.createBudget({ scope: RUN, unit: 'RISK_POINTS', allocated: 1 });
  const events: GovernorEvent[] = [];
  const governor = createGovernor({
    authority: ledger,
    admin: ledger,
    subject: { tenant: 'acme', workflow: 'support', ...subject },
    clock,
    on: (e) => events.push(e),
    ...options,
  });
  const adapter = { governor, pricing, defaultMaxOutputTokens: 1_000 };
  const plan = planModelCall(adapter, { model: MODEL, prompt: PROMPT });
  /** The run's USD budget once nothing is reserved any more: what it spent. */
  const spent = async (scope = RUN) => {
    await governor.drain();
    await assertLedgerInvariant(ledger);
    expect((await ledger.listReservations({ status: 'ACTIVE' })).reservations).toEqual([]);
    const budget = await ledger.getBudget({ scope, unit: USD });
    expect(budget?.reserved).toBe(0);
    return budget?.spent;
  };
  /** The prompt plus the chunks streamed, as a call that stopped part-way is charged. */
  const delivered = (...chunks: string[]) => {
    const outputTokens = chunks.reduce((sum, chunk) => sum + estimateTokens(chunk), 0);
    return pricing.cost(MODEL, { inputTokens: plan.promptTokens, outputTokens });
  };
  return { clock, ledger, governor, events, adapter, plan, spent, delivered };
}

/** A source that yields `parts` as they are read, then ends (or throws `error`). */
function sourceOf(parts: Part[], error?: Error): ReadableStream<Part> {
  const queue = [...parts];
  return new ReadableStream<Part>(
    {
      pull(controller) {
        const next = queue.shift();
        if (next) controller.enqueue(next);
        else if (error) controller.error(error);
        else controller.close();
      },
    },
    { highWaterMark: 0 },
  );
}

/** An endless source of `text` chunks, pulled only when read: `read()` tells how many were. */
function endless(text: string, onCancel?: (reason: unknown) => void) {
  let read = 0;
  const stream = new ReadableStream<Part>(
    {
      pull(controller) {
        read++;
        controller.enqueue({ type: 'text', text });
      },
      cancel: onCancel,
    },
    { highWaterMark: 0 },
  );
  return { stream, chunks: () => Array.from({ length: read }, () => text) };
}

async function readAll<P>(stream: ReadableStream<P>): Promise<P[]> {
  const out: P[] = [];
  for await (const part of stream) out.push(part);
  return out;
}

describe('settleStream', () => {
  it('a finish part commits its reported usage before the consumer sees it; parts pass through', async () => {
    const { governor, adapter, plan, spent, ledger } = await setup();
    const usage = { inputTokens: 20, outputTokens: 7 };
    const handle = await governor.begin(plan.spec);
    const delivery = trackDelivery(handle, adapter, plan);
    const stream = settleStream(
      sourceOf([
        { type: 'text', text: 'Printer is out of toner.' },
        { type: 'finish', usage },
      ]),
      delivery,
      {
        ...hooks,
        map: (part, settled) => {
          if (part.type === 'finish') expect(settled).toBe(true);
          return [part];
        },
      },
    );
    const reader = stream.getReader();
    expect((await reader.read()).value).toEqual({ type: 'text', text: 'Printer is out of toner.' });
    const finish = await reader.read();
    // Committed before the finish part reached the consumer.
    const spentAtFinish = (await ledger.getBudget({ scope: RUN, unit: USD }))?.spent;
    expect(finish.value).toEqual({ type: 'finish', usage });
    expect(spentAtFinish).toBe(pricing.cost(MODEL, usage));
    expect((await reader.read()).done).toBe(true);
    expect(await spent()).toBe(pricing.cost(MODEL, usage));
  });

  it('a finish without usage commits the estimate', async () => {
    const { governor, adapter, plan, spent } = await setup();
    const delivery = trackDelivery(await governor.begin(plan.spec), adapter, plan);
    await readAll(
      settleStream(sourceOf([{ type: 'text', text: 'ok' }, { type: 'finish' }]), delivery, hooks),
    );
    expect(await spent()).toBe(plan.spec.estimate.amount);
  });

  it('a stream that ends without a finish commits the prompt and the output delivered, releases the rest', async () => {
    const { governor, adapter, plan, spent, delivered, events } = await setup();
    const text = 'The printer on floor three';
    const delivery = trackDelivery(await governor.begin(plan.spec), adapter, plan);
    await readAll(settleStream(sourceOf([{ type: 'text', text }, { type: 'error' }]), delivery, hooks));
    expect(await spent()).toBe(delivered(text));
    expect(delivered(text)).toBeLessThan(plan.spec.estimate.amount);
    expect(events.find((e) => e.type === 'abandoned')).toMatchObject({ reason: 'failed' });
  });

  it('a source that throws: the consumer gets its error, what was delivered is committed', async () => {
    const { governor, adapter, plan, spent, delivered } = await setup();
    const text = 'Half an answer';
    const delivery = trackDelivery(await governor.begin(plan.spec), adapter, plan);
    const stream = settleStream(
      sourceOf([{ type: 'text', text }], new Error('connection reset')),
      delivery,
      hooks,
    );
    await expect(readAll(stream)).rejects.toThrow('connection reset');
    expect(await spent()).toBe(delivered(text));
  });

  it('a consumer that cancels: the source is cancelled, what was delivered is committed', async () => {
    const { governor, adapter, plan, spent, delivered, events } = await setup();
    let cancelled: unknown;
    const source = endless('more ', (reason) => {
      cancelled = reason;
    });
    const delivery = trackDelivery(await governor.begin(plan.spec), adapter, plan);
    const reader = settleStream(source.stream, delivery, hooks).getReader();
    await reader.read();
    await reader.read();
    await reader.cancel('user closed the tab');
    expect(cancelled).toBe('user closed the tab');
    expect(source.chunks().length).toBeGreaterThanOrEqual(2);
    expect(await spent()).toBe(delivered(...source.chunks()));
    expect(events.find((e) => e.type === 'abandoned')).toMatchObject({ reason: 'aborted' });
  });

  it('an abort signal settles what was delivered; a finish after it changes nothing', async () => {
    const { governor, adapter, plan, spent, delivered } = await setup();
    const abort = new AbortController();
    let push!: (part: Part) => void;
    const source = new ReadableStream<Part>({
      start(controller) {
        push = (part) => controller.enqueue(part);
      },
    });
    const delivery = trackDelivery(await governor.begin(plan.spec), adapter, {
      ...plan,
      signal: abort.signal,
    });
    const reader = settleStream(source, delivery, hooks).getReader();
    push({ type: 'text', text: 'Partial' });
    await reader.read();
    abort.abort();
    push({ type: 'finish', usage: { inputTokens: 999, outputTokens: 999 } });
    expect((await reader.read()).value?.type).toBe('finish');
    expect(await spent()).toBe(delivered('Partial'));
  });

  it('a consumer that stops reading: at the idle limit the source is cancelled and the stream errors', async () => {
    const { clock, governor, adapter, plan, spent, delivered } = await setup({
      handles: { idleTimeoutMs: 1_000 },
    });
    let cancelled = false;
    const source = endless('chunk ', () => {
      cancelled = true;
    });
    const delivery = trackDelivery(await governor.begin(plan.spec), adapter, plan);
    const reader = settleStream(source.stream, delivery, hooks).getReader();
    await reader.read();
    await new Promise((resolve) => setImmediate(resolve)); // the stream's read-ahead lands
    clock.advance(1_500);
    expect(await spent()).toBe(delivered(...source.chunks()));
    await expect(reader.read()).rejects.toThrow(/consumer stopped reading/);
    expect(cancelled).toBe(true);
  });

  it('an async iterable source, and a map that drops parts, read on to the next part', async () => {
    const { governor, adapter, plan, spent } = await setup();
    async function* parts(): AsyncGenerator<Part> {
      yield { type: 'text', text: 'kept' };
      yield { type: 'error' };
      yield { type: 'finish', usage: { inputTokens: 10, outputTokens: 2 } };
    }
    const delivery = trackDelivery(await governor.begin(plan.spec), adapter, plan);
    const map = (part: Part) => (part.type === 'error' ? [] : [part]);
    const out = await readAll(settleStream(parts(), delivery, { ...hooks, map }));
    expect(out.map((p) => p.type)).toEqual(['text', 'finish']);
    expect(await spent()).toBe(pricing.cost(MODEL, { inputTokens: 10, outputTokens: 2 }));
  });
});

describe('trackDelivery', () => {
  it('not started: a failure before any output releases everything; after output, the prompt and output are charged', async () => {
    const { governor, adapter, plan, spent, delivered } = await setup();
    const quiet = trackDelivery(await governor.begin(plan.spec), adapter, { ...plan, started: false });
    await quiet.stop('failed', 'model call failed: 500');
    expect(await spent()).toBe(0);
    const talking = trackDelivery(await governor.begin(plan.spec), adapter, { ...plan, started: false });
    talking.delta('Hello there');
    await talking.stop('failed', 'model call failed: reset');
    expect(await spent()).toBe(delivered('Hello there'));
  });

  it('finish settles once: a second finish and a later stop change nothing', async () => {
    const { governor, adapter, plan, spent } = await setup();
    const usage = { inputTokens: 12, outputTokens: 3 };
    const delivery = trackDelivery(await governor.begin(plan.spec), adapter, { ...plan, modelVersion: 'v2' });
    expect(await delivery.finish(usage)).toBe(true);
    expect(await delivery.finish({ inputTokens: 1_000, outputTokens: 1_000 })).toBe(false);
    await delivery.stop('failed', 'late');
    expect(await spent()).toBe(pricing.cost(MODEL, usage));
  });
});

describe('streamModelCall', () => {
  it('a start that throws ran nothing: released, rethrown', async () => {
    const { adapter, plan, spent } = await setup();
    const start = async () => {
      throw new Error('provider refused the connection');
    };
    await expect(streamModelCall(adapter, plan, start)).rejects.toThrow('provider refused');
    expect(await spent()).toBe(0);
  });

  it('priced as the model the start reports (a downgrade), settled by its stream', async () => {
    const { adapter, plan, spent } = await setup();
    const cheaper = { modelId: 'acme-llm-mini' };
    const prices = createPricing({
      prices: {
        'acme-llm-1': { inputPerMillionUsd: 100, outputPerMillionUsd: 200 },
        'acme-llm-mini': { inputPerMillionUsd: 1, outputPerMillionUsd: 2 },
      },
    });
    const usage = { inputTokens: 40, outputTokens: 10 };
    const result = await streamModelCall({ ...adapter, pricing: prices }, plan, async () => ({
      result: { stream: sourceOf([{ type: 'finish', usage }]), id: 'call-1' },
      model: cheaper,
      hooks,
    }));
    expect(result.id).toBe('call-1');
    await readAll(result.stream);
    expect(await spent()).toBe(prices.cost(cheaper, usage));
  });
});

describe('RunEvents', () => {
  it('charges model and tool runs to the root run (or the adopted one); a denied tool does not start', async () => {
    const { governor, spent } = await setup({}, {} as { run: string });
    const riskPoints = { send_email: 1 };
    const runs = new RunEvents({ governor, pricing, riskPoints, defaultMaxOutputTokens: 100 });
    runs.started('agent', undefined);
    runs.adopt('agent', 'r1'); // the agent chose Governor run r1
    await runs.modelStarted('llm-1', 'agent', { model: MODEL, prompt: PROMPT, streaming: false });
    expect(runs.pending).toBe(1);
    runs.modelDelta('llm-1', 'Sending it now.');
    const usage = { inputTokens: 30, outputTokens: 5 };
    await runs.modelEnded('llm-1', usage);
    await runs.toolStarted('tool-1', 'agent', 'send_email', '{"to":"ops@acme.test"}');
    await runs.toolEnded('tool-1');
    await expect(runs.toolStarted('tool-2', 'agent', 'send_email', {})).rejects.toThrow(BudgetDeniedError);
    expect(runs.pending).toBe(0);
    runs.ended('agent');
    expect(runs.tracked).toBe(0);
    expect(await spent()).toBe(pricing.cost(MODEL, usage));
  });

  it('a model run inside a call governed elsewhere is not reserved; what it used is reported', async () => {
    const { governor, spent } = await setup();
    const runs = new RunEvents({ governor, pricing });
    const into: { model: typeof MODEL; usage: TokenUsage | undefined }[] = [];
    runs.modelInside('inner', undefined, MODEL, into);
    expect(runs.pending).toBe(0);
    await runs.modelEnded('inner', { inputTokens: 3, outputTokens: 4 });
    expect(into).toEqual([{ model: MODEL, usage: { inputTokens: 3, outputTokens: 4 } }]);
    expect(runs.tracked).toBe(0);
    expect(await spent()).toBe(0);
  });

  it('a failed model run: what a stream delivered is charged, a call that failed outright released', async () => {
    const { governor, spent, plan } = await setup();
    const runs = new RunEvents({ governor, pricing, defaultMaxOutputTokens: 1_000 });
    await runs.modelStarted('a', undefined, { model: MODEL, prompt: PROMPT, streaming: false });
    await runs.modelFailed('a', new Error('500'));
    expect(await spent()).toBe(0);
    await runs.modelStarted('b', undefined, { model: MODEL, prompt: PROMPT, streaming: true });
    await runs.modelFailed('b', new Error('reset'));
    expect(await spent()).toBe(pricing.cost(MODEL, { inputTokens: plan.promptTokens, outputTokens: 0 }));
  });
});

describe('guardToolCall', () => {
  it('runs and charges an affordable call; a denied one answers (or rejects with onDeny: throw) and never runs', async () => {
    const { governor, ledger } = await setup();
    const options = { governor, riskPoints: { send_email: 1 } };
    let sent = 0;
    const send = () => ++sent;
    const answer = (text: string) => ({ denied: text });
    expect(await guardToolCall(options, { name: 'send_email', args: {} }, send, answer)).toBe(1);
    const denied = await guardToolCall(options, { name: 'send_email', args: {} }, send, answer);
    expect(denied).toEqual({ denied: expect.stringContaining('send_email') });
    await expect(
      guardToolCall({ ...options, onDeny: 'throw' as const }, { name: 'send_email', args: {} }, send),
    ).rejects.toThrow(BudgetDeniedError);
    expect(sent).toBe(1);
    expect(await ledger.getBudget({ scope: RUN, unit: 'RISK_POINTS' })).toMatchObject({
      spent: 1,
      reserved: 0,
    });
  });
});

describe('capModelCall', () => {
  const grant = (caps: object, enforced = true) =>
    ({ decision: 'ALLOW_WITH_CAPS', caps, enforced, subject: { tenant: 'acme' } }) as never;
  const call = {
    model: 'big',
    cheaper: 'small',
    modelIdOf: (m: string) => m,
    maxOutputTokens: 2_000,
    tools: [{ name: 'search' }, { name: 'send_email' }],
    toolName: (t: { name: string }) => t.name,
  };

  it('downgrades, drops denied tools, lowers the output limit and says so', async () => {
    const { governor } = await setup();
    const seen: unknown[] = [];
    const onApplied = (applied: unknown) => {
      seen.push(applied);
      throw new Error('a listener that throws changes nothing');
    };
    const capped = capModelCall(
      { governor, onApplied },
      grant({ maxTokens: 256, toolDenylist: ['send_email'] }),
      {
        ...call,
        lowerOutput: (m, max) => `${m}@${max}`,
      },
    );
    expect(capped.model).toBe('small@256');
    expect(capped.tools).toEqual([{ name: 'search' }]);
    expect(capped.applied).toMatchObject({
      maxOutputTokens: 256,
      downgradedTo: 'small',
      droppedTools: ['send_email'],
    });
    expect(seen).toEqual([capped.applied]);
  });

  it('an output cap a model cannot take is not reported as applied; unenforced caps change nothing', async () => {
    const { governor } = await setup();
    const unlowerable = capModelCall({ governor }, grant({ maxTokens: 256 }), {
      ...call,
      lowerOutput: () => undefined,
    });
    expect(unlowerable.model).toBe('small');
    expect(unlowerable.applied.maxOutputTokens).toBeUndefined();
    const observed = capModelCall(
      { governor },
      grant({ maxTokens: 256, toolDenylist: ['search'] }, false),
      call,
    );
    expect(observed).toEqual({
      model: 'big',
      applied: { decision: 'ALLOW_WITH_CAPS', caps: expect.any(Object) },
    });
  });
});
