import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { estimateTokens } from '@governor/core';
import { APICallError, generateText, streamText } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OpenAiServer, startOpenAiServer } from '../../../test/support/openai-server.js';
import { governModel } from '../src/index.js';
import { CHEAP, costOf, MODEL, PROMPT_X_TOKENS, setup } from './support.js';

let server: OpenAiServer;
beforeAll(async () => {
  server = await startOpenAiServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

// Named `openai`, its models are `openai.chat` and priced as OpenAI's.
const provider = () =>
  createOpenAICompatible({ name: 'openai', baseURL: server.url, apiKey: 'test', includeUsage: true });

describe('@ai-sdk/openai-compatible against a local server', () => {
  it('generateText: commits the usage the server reported', async () => {
    const { governor, settled } = await setup();
    server.reply({ text: 'Hi!', usage: { promptTokens: 1_200, completionTokens: 80, cachedTokens: 1_000 } });
    const result = await generateText({
      model: governModel(provider()('gpt-4o-mini'), { governor }),
      prompt: 'Say hi',
      maxOutputTokens: 200,
    });
    expect(result.text).toBe('Hi!');
    expect(server.requests[0]).toMatchObject({ model: 'gpt-4o-mini', stream: false, maxTokens: 200 });
    await settled({ USD_MICROCENTS: costOf(MODEL, 1_200, 80, 1_000) });
  });

  it('streamText: commits the usage chunk (stream_options.include_usage)', async () => {
    const { governor, settled } = await setup();
    server.reply({
      text: 'A streamed answer, in pieces.',
      usage: { promptTokens: 300, completionTokens: 12, reasoningTokens: 4 },
    });
    const result = streamText({ model: governModel(provider()('gpt-4o-mini'), { governor }), prompt: 'x' });
    expect(await result.text).toBe('A streamed answer, in pieces.');
    expect(server.requests[0]?.body.stream_options).toEqual({ include_usage: true });
    await settled({ USD_MICROCENTS: costOf(MODEL, 300, 12, 0, 4) });
  });

  it('a stream aborted mid-answer: the prompt and the streamed output are charged, the rest released', async () => {
    const { governor, events, settled } = await setup();
    server.reply({ text: 'a partial answer that never finishes', hangAfterText: true });
    const abort = new AbortController();
    const result = streamText({
      model: governModel(provider()('gpt-4o-mini'), { governor }),
      prompt: 'x',
      abortSignal: abort.signal,
      onError: () => {},
    });
    let seen = '';
    for await (const delta of result.textStream) {
      seen += delta;
      if (seen.length >= 16) break;
    }
    abort.abort();
    await expect.poll(() => events.some((e) => e.type === 'commit')).toBe(true);
    const abandoned = events.find((e) => e.type === 'abandoned');
    expect(abandoned).toMatchObject({ reason: 'aborted' });
    const delivered = abandoned?.type === 'abandoned' ? (abandoned.delivered?.amount as number) : 0;
    expect(delivered).toBeGreaterThan(costOf(MODEL, PROMPT_X_TOKENS, 0));
    // The server sends the text in pieces of 8 characters; each delta is counted on its own.
    const pieces = 'a partial answer that never finishes'.match(/.{1,8}/g) ?? [];
    const most = pieces.reduce((n, piece) => n + estimateTokens(piece), 0);
    expect(delivered).toBeLessThanOrEqual(costOf(MODEL, PROMPT_X_TOKENS, most));
    await settled({ USD_MICROCENTS: delivered });
  });

  it('a 500 from the provider: the error surfaces, the reservation is released', async () => {
    const { governor, events, settled } = await setup();
    server.reply({ status: 500 });
    const error = await generateText({
      model: governModel(provider()('gpt-4o-mini'), { governor }),
      prompt: 'x',
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(APICallError.isInstance(error)).toBe(true);
    expect((error as APICallError).statusCode).toBe(500);
    expect(events.map((e) => e.type)).toEqual(['decision', 'release']);
    await settled({ USD_MICROCENTS: 0 });
  });

  it('a 500 on a stream releases too; retries reserve afresh and the last one commits', async () => {
    const { governor, events, settled } = await setup();
    server.reply(
      { status: 500 },
      { text: 'second time lucky', usage: { promptTokens: 10, completionTokens: 3 } },
    );
    const result = streamText({
      model: governModel(provider()('gpt-4o-mini'), { governor }),
      prompt: 'x',
      maxRetries: 1,
    });
    expect(await result.text).toBe('second time lucky');
    expect(events.map((e) => e.type)).toEqual(['decision', 'release', 'decision', 'commit']);
    await settled({ USD_MICROCENTS: costOf(MODEL, 10, 3) });
  });

  it('caps reach the provider: the downgraded model id and the capped max_tokens', async () => {
    const { governor, ledger, settled } = await setup({ usd: 1_000_000 });
    await ledger.setDegradationPolicy({ tiers: [{ atPercent: 50, caps: { maxTokens: 32 } }] });
    await governor.run(
      {
        action: { kind: 'llm.completion', name: 'earlier' },
        estimate: { unit: 'USD_MICROCENTS', amount: 600_000 },
      },
      () => ({ value: null, actual: 600_000 }),
    );
    server.reply({ text: 'cheap', usage: { promptTokens: 40, completionTokens: 20 } });
    const openai = provider();
    await generateText({
      model: governModel(openai('gpt-4o-mini'), { governor, downgrade: openai('gpt-4.1-nano') }),
      prompt: 'x',
      maxOutputTokens: 1_000,
    });
    expect(server.requests[0]).toMatchObject({ model: 'gpt-4.1-nano', maxTokens: 32 });
    await settled({ USD_MICROCENTS: 600_000 + costOf(CHEAP, 40, 20) });
  });
});
