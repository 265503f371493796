import { BudgetDeniedError, estimateTokens } from '@governor/core';
import { generateText, simulateReadableStream, streamText, wrapLanguageModel } from 'ai';
import { convertArrayToReadableStream, MockLanguageModelV4 } from 'ai/test';
import { describe, expect, it, vi } from 'vitest';
import { governModel, governorMiddleware } from '../src/index.js';
import {
  costOf,
  deliveredWithin,
  hangingStream,
  MODEL,
  PROMPT_X_COST,
  PROMPT_X_TOKENS,
  RUN,
  setup,
  textParts,
  textResult,
  usage,
} from './support.js';

describe('generateText through governModel', () => {
  it('reserves, runs and commits the priced usage (cached input, reasoning output)', async () => {
    const { governor, events, settled } = await setup();
    const mock = new MockLanguageModelV4({
      ...MODEL,
      doGenerate: textResult('hi', usage(1_000, 300, 400, 100)),
    });
    const result = await generateText({
      model: governModel(mock, { governor }),
      prompt: 'Say hi',
      maxOutputTokens: 500,
    });
    expect(result.text).toBe('hi');
    expect(result.providerMetadata?.governor).toMatchObject({
      decision: 'ALLOW',
      action: 'openai.chat:gpt-4o-mini',
      enforced: true,
    });
    expect(events.map((e) => e.type)).toEqual(['decision', 'commit']);
    await settled({ USD_MICROCENTS: costOf(MODEL, 1_000, 300, 400, 100) });
  });

  it('reserves the prompt plus the full output cap', async () => {
    const { governor, events } = await setup();
    const mock = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('hi', usage(10, 2)) });
    await generateText({ model: governModel(mock, { governor }), prompt: 'x', maxOutputTokens: 2_000 });
    const decision = events.find((e) => e.type === 'decision');
    expect(decision?.estimate.amount).toBeGreaterThanOrEqual(costOf(MODEL, 0, 2_000));
  });

  it('commits the estimate when the provider reports no usage', async () => {
    const { governor, events, settled } = await setup();
    const none = {
      inputTokens: usage(0, 0).inputTokens,
      outputTokens: { ...usage(0, 0).outputTokens, total: undefined },
    };
    const mock = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('hi', none) });
    await generateText({ model: governModel(mock, { governor }), prompt: 'x', maxOutputTokens: 100 });
    const estimate = events.find((e) => e.type === 'decision')?.estimate.amount as number;
    expect(events.find((e) => e.type === 'commit')).toMatchObject({ actualSource: 'estimate' });
    await settled({ USD_MICROCENTS: estimate });
  });

  it('DENY: the provider is never called; generateText rejects with BudgetDeniedError', async () => {
    const { governor, settled } = await setup({ usd: 100 });
    const mock = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('hi', usage(1, 1)) });
    const error = await generateText({
      model: governModel(mock, { governor }),
      prompt: 'x',
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetDeniedError);
    expect(error).toMatchObject({ reasonCode: 'BUDGET_EXCEEDED', scope: RUN });
    expect(mock.doGenerateCalls).toHaveLength(0);
    await settled({ USD_MICROCENTS: 0 });
  });

  it('releases when the provider throws, and the error surfaces', async () => {
    const { governor, events, settled } = await setup();
    const mock = new MockLanguageModelV4({
      ...MODEL,
      doGenerate: async () => {
        throw new Error('provider exploded');
      },
    });
    await expect(
      generateText({ model: governModel(mock, { governor }), prompt: 'x', maxRetries: 0 }),
    ).rejects.toThrow('provider exploded');
    expect(events.map((e) => e.type)).toEqual(['decision', 'release']);
    await settled({ USD_MICROCENTS: 0 });
  });

  it('composes with other middleware through wrapLanguageModel', async () => {
    const { governor, settled } = await setup();
    const mock = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('hi', usage(20, 5)) });
    const seen: (number | undefined)[] = [];
    const model = wrapLanguageModel({
      model: mock,
      middleware: [
        governorMiddleware({ governor }),
        {
          transformParams: async ({ params }) => {
            seen.push(params.maxOutputTokens);
            return params;
          },
        },
      ],
    });
    await generateText({ model, prompt: 'x', maxOutputTokens: 50 });
    expect(seen).toEqual([50]);
    await settled({ USD_MICROCENTS: costOf(MODEL, 20, 5) });
  });

  it('acts as the run of the current context (withRun)', async () => {
    const { ledger, governor } = await setup();
    await ledger.createBudget({
      scope: 'tenant:acme/workflow:support/run:r2',
      unit: 'USD_MICROCENTS',
      allocated: 1e7,
    });
    const root = (await import('@governor/core')).createGovernor({
      authority: ledger,
      subject: { tenant: 'acme', workflow: 'support' },
    });
    void governor;
    const mock = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('hi', usage(20, 5)) });
    await root.withRun('r2', () =>
      generateText({ model: governModel(mock, { governor: root }), prompt: 'x' }),
    );
    expect(
      await ledger.getBudget({ scope: 'tenant:acme/workflow:support/run:r2', unit: 'USD_MICROCENTS' }),
    ).toMatchObject({
      spent: costOf(MODEL, 20, 5),
      reserved: 0,
    });
  });
});

describe('streamText through governModel', () => {
  it('commits the finish part’s usage before the caller sees it', async () => {
    const { governor, events, settled } = await setup();
    const mock = new MockLanguageModelV4({
      ...MODEL,
      doStream: { stream: convertArrayToReadableStream(textParts('hello there', usage(800, 40, 0, 10))) },
    });
    const result = streamText({ model: governModel(mock, { governor }), prompt: 'x', maxOutputTokens: 100 });
    expect(await result.text).toBe('hellothere');
    expect((await result.providerMetadata)?.governor).toMatchObject({ decision: 'ALLOW' });
    expect(events.map((e) => e.type)).toEqual(['decision', 'commit']);
    await settled({ USD_MICROCENTS: costOf(MODEL, 800, 40, 0, 10) });
  });

  it('an abort mid-stream commits what was delivered (prompt + streamed output) and releases the rest', async () => {
    const { governor, budget, events, settled } = await setup();
    const hanging = hangingStream(textParts('partial answer'));
    const mock = new MockLanguageModelV4({ ...MODEL, doStream: { stream: hanging.stream } });
    const abort = new AbortController();
    const result = streamText({
      model: governModel(mock, { governor }),
      prompt: 'x',
      abortSignal: abort.signal,
      onError: () => {},
    });
    for await (const delta of result.textStream) {
      expect(delta).toBe('partial');
      expect((await budget()).reserved).toBeGreaterThan(0);
      abort.abort();
      break;
    }
    await vi.waitFor(async () => expect((await budget()).reserved).toBe(0));
    expect(events.map((e) => e.type)).toEqual(['decision', 'abandoned', 'commit']);
    const spent = await deliveredWithin(events, 'partial', 'partial answer');
    expect(events.find((e) => e.type === 'commit')).toMatchObject({ actualSource: 'partial' });
    await settled({ USD_MICROCENTS: spent });
  });

  it('a consumer that cancels the model stream pays for what was delivered; the provider stream is cancelled', async () => {
    const { governor, budget, settled } = await setup();
    const hanging = hangingStream(textParts('partial answer'));
    const mock = new MockLanguageModelV4({ ...MODEL, doStream: { stream: hanging.stream } });
    const model = governModel(mock, { governor });
    const { stream } = await model.doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
    });
    const reader = stream.getReader();
    await reader.read();
    expect((await budget()).reserved).toBeGreaterThan(0);
    await reader.cancel('user left');
    expect(hanging.cancelled()).toBe(true);
    await settled({ USD_MICROCENTS: PROMPT_X_COST });
  });

  it('a provider error part that ends the stream: the streamed output is charged', async () => {
    const { governor, events, settled } = await setup();
    const parts = [...textParts('half'), { type: 'error' as const, error: new Error('upstream reset') }];
    const mock = new MockLanguageModelV4({
      ...MODEL,
      doStream: { stream: convertArrayToReadableStream(parts) },
    });
    const errors: unknown[] = [];
    const result = streamText({
      model: governModel(mock, { governor }),
      prompt: 'x',
      onError: ({ error }) => void errors.push(error),
    });
    await result.consumeStream();
    expect(errors).toHaveLength(1);
    expect(events.map((e) => e.type)).toEqual(['decision', 'abandoned', 'commit']);
    await settled({ USD_MICROCENTS: costOf(MODEL, PROMPT_X_TOKENS, estimateTokens('half')) });
  });

  it('commits the usage still reported after an error part', async () => {
    const { governor, settled } = await setup();
    const parts = [
      ...textParts('half'),
      { type: 'error' as const, error: new Error('bad chunk') },
      {
        type: 'finish' as const,
        finishReason: { unified: 'error' as const, raw: undefined },
        usage: usage(300, 7),
      },
    ];
    const mock = new MockLanguageModelV4({
      ...MODEL,
      doStream: { stream: convertArrayToReadableStream(parts) },
    });
    const result = streamText({ model: governModel(mock, { governor }), prompt: 'x', onError: () => {} });
    await result.consumeStream();
    await settled({ USD_MICROCENTS: costOf(MODEL, 300, 7) });
  });

  it('a provider stream that throws after the request went out: the prompt is charged', async () => {
    const { governor, settled } = await setup();
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue({ type: 'stream-start', warnings: [] });
        controller.error(new Error('socket hang up'));
      },
    });
    const mock = new MockLanguageModelV4({ ...MODEL, doStream: { stream } });
    const result = streamText({ model: governModel(mock, { governor }), prompt: 'x', onError: () => {} });
    await result.consumeStream();
    await settled({ USD_MICROCENTS: PROMPT_X_COST });
  });

  it('DENY: the stream never starts and the error reaches onError', async () => {
    const { governor, settled } = await setup({ usd: 100 });
    const mock = new MockLanguageModelV4({
      ...MODEL,
      doStream: { stream: simulateReadableStream({ chunks: textParts('x', usage(1, 1)) }) },
    });
    const errors: unknown[] = [];
    const result = streamText({
      model: governModel(mock, { governor }),
      prompt: 'x',
      onError: ({ error }) => void errors.push(error),
    });
    await result.consumeStream();
    expect(errors[0]).toBeInstanceOf(BudgetDeniedError);
    expect(mock.doStreamCalls).toHaveLength(0);
    await settled({ USD_MICROCENTS: 0 });
  });
});
