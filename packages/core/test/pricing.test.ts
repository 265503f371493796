import {
  createPricing,
  estimateTokens,
  FILE_TOKENS_PER_100_KIB,
  IMAGE_TOKENS,
  MESSAGE_OVERHEAD_TOKENS,
  REPLY_OVERHEAD_TOKENS,
  UnknownModelPriceError,
} from '@governor/core';
import { calcPrice } from '@pydantic/genai-prices';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GovernorError, InvalidRequestError } from '../src/errors.js';
import { usdToMicrocents } from '../src/pricing/money.js';
import { USD } from '../src/protocol/types.js';

/** Per-million-token dollar prices as the bundled library itself reports them. */
function libraryPrices(modelId: string, providerId: string) {
  const result = calcPrice({ input_tokens: 0, output_tokens: 0 }, modelId, { providerId });
  if (!result) throw new Error(`bundled data has no ${providerId}:${modelId}`);
  const rate = (key: string): number => {
    const value = result.model_price[key];
    if (typeof value !== 'number') throw new Error(`${modelId}.${key} is not a flat price: ${String(value)}`);
    return value;
  };
  return { input: rate('input_mtok'), cacheRead: rate('cache_read_mtok'), output: rate('output_mtok'), rate };
}

/** tokens × $/Mtok in USD_MICROCENTS; exact for the round token counts used here. */
const micro = (tokens: number, perMillionUsd: number) => (tokens * perMillionUsd * USD) / 1_000_000;
const whole = (value: number) => {
  expect(Math.abs(value - Math.round(value))).toBeLessThan(1e-6);
  return Math.round(value);
};

const pricing = createPricing();
const gpt4o = { modelId: 'gpt-4o', provider: 'openai' };
const sonnet = { modelId: 'claude-sonnet-4-20250514', provider: 'anthropic' };

afterEach(() => vi.restoreAllMocks());

describe('cost from the bundled price data', () => {
  it('prices an OpenAI model: uncached input, cached input at the cache price, output', () => {
    const p = libraryPrices('gpt-4o', 'openai');
    const usage = { inputTokens: 10_000, cachedInputTokens: 4_000, outputTokens: 2_000 };
    const expected = whole(micro(6_000, p.input) + micro(4_000, p.cacheRead) + micro(2_000, p.output));
    expect(pricing.cost(gpt4o, usage)).toBe(expected);
  });

  it('prices an Anthropic model with cache reads and cache writes', () => {
    const p = libraryPrices('claude-sonnet-4-20250514', 'anthropic');
    const cacheWrite = p.rate('cache_write_mtok');
    const usage = {
      inputTokens: 10_000,
      cachedInputTokens: 3_000,
      cacheWriteTokens: 2_000,
      outputTokens: 1_000,
    };
    const expected = whole(
      micro(5_000, p.input) + micro(3_000, p.cacheRead) + micro(2_000, cacheWrite) + micro(1_000, p.output),
    );
    expect(pricing.cost(sonnet, usage)).toBe(expected);
  });

  it('bills cached input below plain input, and not twice', () => {
    const plain = pricing.cost(gpt4o, { inputTokens: 10_000, outputTokens: 100 });
    const cached = pricing.cost(gpt4o, { inputTokens: 10_000, cachedInputTokens: 8_000, outputTokens: 100 });
    expect(cached).toBeLessThan(plain);
    const p = libraryPrices('gpt-4o', 'openai');
    expect(plain - cached).toBe(whole(micro(8_000, p.input - p.cacheRead)));
  });

  it('bills reasoning tokens inside outputTokens once', () => {
    const o3 = { modelId: 'o3-mini', provider: 'openai' };
    const usage = { inputTokens: 1_000, outputTokens: 5_000 };
    const withReasoning = pricing.cost(o3, { ...usage, reasoningTokens: 4_000 });
    expect(withReasoning).toBe(pricing.cost(o3, usage));
    const p = libraryPrices('o3-mini', 'openai');
    expect(withReasoning).toBe(whole(micro(1_000, p.input) + micro(5_000, p.output)));
  });

  it('agrees with the library on tiered prices (long-context Claude)', () => {
    const usage = { input_tokens: 250_000, output_tokens: 1_000 };
    const library = calcPrice(usage, 'claude-sonnet-4-5', { providerId: 'anthropic' });
    expect(library).not.toBeNull();
    const cost = pricing.cost('anthropic:claude-sonnet-4-5', { inputTokens: 250_000, outputTokens: 1_000 });
    expect(cost).toBe(whole((library?.total_price ?? Number.NaN) * USD));
  });

  it('rounds a fraction of a microcent up, and float noise not at all', () => {
    const p = libraryPrices('gpt-4o-mini', 'openai');
    const oneCached = pricing.cost('openai:gpt-4o-mini', {
      inputTokens: 1,
      cachedInputTokens: 1,
      outputTokens: 0,
    });
    expect(oneCached).toBe(Math.ceil(micro(1, p.cacheRead)));
    // The library computes in floats: gpt-4o's input for 800 + 200 cached tokens is $0.0022500000000000003
    // (225000.00000000003 microcents): that is 225 000, not 225 001.
    expect(0.0022500000000000003 * USD).not.toBe(225_000);
    expect(usdToMicrocents(0.0022500000000000003, 'x')).toBe(225_000);
    expect(usdToMicrocents(0.00043499999999999995, 'x')).toBe(43_500);
    expect(usdToMicrocents(0.1 + 0.2, 'x')).toBe(30_000_000);
    expect(usdToMicrocents(0.000000075, 'x')).toBe(8);
    expect(usdToMicrocents(0, 'x')).toBe(0);
    for (const bad of [Number.NaN, -0.01, Number.POSITIVE_INFINITY, 1e8])
      expect(() => usdToMicrocents(bad, 'x')).toThrow(InvalidRequestError);
  });

  it('always returns safe non-negative integers', () => {
    const models = ['openai:gpt-4o', 'openai:gpt-4o-mini', 'anthropic:claude-sonnet-4-20250514', 'o3-mini'];
    for (const model of models)
      for (const inputTokens of [0, 1, 7, 999, 123_457, 3_000_001])
        for (const outputTokens of [0, 1, 13, 65_537]) {
          const cachedInputTokens = Math.floor(inputTokens / 3);
          const cost = pricing.cost(model, { inputTokens, cachedInputTokens, outputTokens });
          expect(Number.isSafeInteger(cost) && cost >= 0).toBe(true);
        }
  });

  it('refuses an amount beyond Number.MAX_SAFE_INTEGER instead of losing precision', () => {
    const huge = { inputTokens: Number.MAX_SAFE_INTEGER, outputTokens: 0 };
    expect(() => pricing.cost(gpt4o, huge)).toThrow(InvalidRequestError);
    expect(() => pricing.cost(gpt4o, huge)).toThrow(/largest exact amount/);
  });

  it('rejects malformed usage with InvalidRequestError', () => {
    const bad = [
      { inputTokens: -1, outputTokens: 0 },
      { inputTokens: 1.5, outputTokens: 0 },
      { inputTokens: Number.NaN, outputTokens: 0 },
      { inputTokens: 10, outputTokens: 0, cachedInputTokens: 11 },
      { inputTokens: 10, outputTokens: 0, cachedInputTokens: 6, cacheWriteTokens: 6 },
      { inputTokens: 10, outputTokens: 5, reasoningTokens: 6 },
    ];
    for (const usage of bad) expect(() => pricing.cost(gpt4o, usage)).toThrow(InvalidRequestError);
  });
});

describe('model references', () => {
  it('resolves provider-prefixed ids, a separate provider and AI SDK provider strings alike', () => {
    const usage = { inputTokens: 1_234, cachedInputTokens: 200, outputTokens: 567 };
    const expected = pricing.cost(gpt4o, usage);
    for (const ref of [
      'openai:gpt-4o',
      'openai/gpt-4o',
      'gpt-4o',
      { modelId: 'GPT-4o', provider: 'openai.chat' },
    ])
      expect(pricing.cost(ref, usage)).toBe(expected);
    expect(pricing.cost('anthropic:claude-sonnet-4-20250514', usage)).toBe(pricing.cost(sonnet, usage));
    expect(pricing.knows('anthropic/claude-sonnet-4-20250514')).toBe(true);
  });

  it('throws UnknownModelPriceError naming the model and how to price it', () => {
    const error = (() => {
      try {
        pricing.cost({ modelId: 'no-such-model-7', provider: 'openai' }, { inputTokens: 1, outputTokens: 1 });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnknownModelPriceError);
    expect(error).toBeInstanceOf(GovernorError);
    const typed = error as UnknownModelPriceError;
    expect(typed.code).toBe('INVALID_REQUEST');
    expect(typed.status).toBe(400);
    expect(typed.message).toContain('"no-such-model-7"');
    expect(typed.message).toContain('"openai"');
    expect(typed.message).toContain('prices');
    expect(pricing.knows('no-such-model-7')).toBe(false);
    expect(() => pricing.estimate('no-such-model-7', { maxOutputTokens: 10 })).toThrow(
      UnknownModelPriceError,
    );
    // A known model under a provider the database does not have is not guessed either.
    expect(() =>
      pricing.cost({ modelId: 'gpt-4o', provider: 'my-proxy' }, { inputTokens: 1, outputTokens: 1 }),
    ).toThrow(UnknownModelPriceError);
  });

  it('uses a caller price for an unknown model and over the database for a known one', () => {
    const priced = createPricing({
      prices: {
        'acme-llm-1': { inputPerMillionUsd: 1, outputPerMillionUsd: 2, cachedInputPerMillionUsd: 0.5 },
        'openai:gpt-4o': { inputPerMillionUsd: 100, outputPerMillionUsd: 200 },
      },
    });
    const usage = { inputTokens: 10_000, cachedInputTokens: 4_000, outputTokens: 1_000 };
    const acme = whole(micro(6_000, 1) + micro(4_000, 0.5) + micro(1_000, 2));
    expect(priced.cost('acme-llm-1', usage)).toBe(acme);
    expect(priced.cost('acme:acme-llm-1', usage)).toBe(acme);
    expect(priced.knows('ACME-LLM-1')).toBe(true);
    expect(priced.cost(gpt4o, usage)).toBe(whole(micro(10_000, 100) + micro(1_000, 200)));
    expect(priced.cost('openai/gpt-4o', usage)).toBe(priced.cost(gpt4o, usage));
    // The provider-specific price does not leak to another provider's gpt-4o.
    expect(priced.cost({ modelId: 'gpt-4o', provider: 'azure' }, usage)).not.toBe(priced.cost(gpt4o, usage));
  });

  it('rejects invalid caller prices and options up front', () => {
    const bad = { inputPerMillionUsd: -1, outputPerMillionUsd: Number.NaN };
    expect(() => createPricing({ prices: { x: bad } })).toThrow(InvalidRequestError);
    expect(() => createPricing({ charsPerToken: 0 })).toThrow(InvalidRequestError);
    expect(() => pricing.cost({ modelId: ' ' }, { inputTokens: 1, outputTokens: 1 })).toThrow(
      InvalidRequestError,
    );
  });
});

describe('estimate', () => {
  it('prices input tokens plus the full output cap, at least the cost of the same counts', () => {
    for (const model of [gpt4o, sonnet]) {
      const estimate = pricing.estimate(model, { inputTokens: 5_000, maxOutputTokens: 2_000 });
      expect(estimate).toBe(pricing.cost(model, { inputTokens: 5_000, outputTokens: 2_000 }));
      for (const usage of [
        { inputTokens: 5_000, outputTokens: 2_000, cachedInputTokens: 3_000 },
        { inputTokens: 5_000, outputTokens: 1_999, reasoningTokens: 1_500 },
        { inputTokens: 4_000, outputTokens: 10 },
      ])
        expect(estimate).toBeGreaterThanOrEqual(pricing.cost(model, usage));
    }
  });

  it('counts a prompt with the heuristic when no token count is given', () => {
    const prompt = 'x'.repeat(4_001);
    const fromPrompt = pricing.estimate(gpt4o, { prompt, maxOutputTokens: 100 });
    expect(fromPrompt).toBe(pricing.estimate(gpt4o, { inputTokens: 1_001, maxOutputTokens: 100 }));
    expect(pricing.estimate(gpt4o, { prompt, inputTokens: 7, maxOutputTokens: 100 })).toBe(
      pricing.estimate(gpt4o, { inputTokens: 7, maxOutputTokens: 100 }),
    );
    const coarse = createPricing({ charsPerToken: 2 });
    expect(coarse.estimate(gpt4o, { prompt, maxOutputTokens: 100 })).toBeGreaterThan(fromPrompt);
    expect(() => pricing.estimate(gpt4o, { maxOutputTokens: -5 })).toThrow(InvalidRequestError);
  });
});

describe('estimateTokens', () => {
  it('is ceil(chars / charsPerToken) for ASCII text', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
    expect(estimateTokens('abcdef', 3)).toBe(2);
  });

  it('errs high on non-ASCII text: one token per UTF-16 unit', () => {
    expect(estimateTokens('日本語のテキスト')).toBe(8);
    expect(estimateTokens('ab😀')).toBe(1 + 2);
  });

  it('counts the JSON of message lists plus a per-message overhead, without binary parts', () => {
    const messages = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: [{ type: 'text', text: 'Hello there' }] },
    ];
    const overhead = messages.length * MESSAGE_OVERHEAD_TOKENS + REPLY_OVERHEAD_TOKENS;
    const expected = Math.ceil(JSON.stringify(messages).length / 4) + overhead;
    expect(estimateTokens(messages)).toBe(expected);
    const withImage = [
      ...messages.slice(0, 1),
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Hello there' },
          { type: 'file', data: new Uint8Array(100_000), mediaType: 'image/png' },
          { type: 'image', image: `data:image/png;base64,${'A'.repeat(100_000)}` },
          { type: 'file', data: Buffer.alloc(100_000) },
        ],
      },
    ];
    // Bytes are left out; each image part counts IMAGE_TOKENS, a non-image file a page per 100 KiB.
    const text = estimateTokens([
      ...messages.slice(0, 1),
      { role: 'user', content: [{ type: 'text', text: 'Hello there' }, {}, {}, {}] },
    ]);
    const media = 2 * IMAGE_TOKENS + FILE_TOKENS_PER_100_KIB;
    expect(estimateTokens(withImage) - media).toBeLessThan(text + 40);
    expect(estimateTokens(withImage)).toBeGreaterThanOrEqual(media);
    expect(estimateTokens({ text: 'abcd' })).toBe(Math.ceil('{"text":"abcd"}'.length / 4));
  });

  it('rejects an unreadable prompt and a bad charsPerToken', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => estimateTokens(loop)).toThrow(InvalidRequestError);
    expect(() => estimateTokens('x', Number.NaN)).toThrow(InvalidRequestError);
  });
});

describe('offline', () => {
  it('never reaches the network', () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const fresh = createPricing();
    fresh.cost('openai:gpt-4o', { inputTokens: 10, outputTokens: 10 });
    fresh.estimate('anthropic:claude-sonnet-4-20250514', { prompt: 'hi', maxOutputTokens: 10 });
    fresh.knows('unknown-model');
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});
