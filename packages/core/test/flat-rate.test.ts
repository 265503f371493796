/**
 * Plain tokens on a flat-rate model are priced without calcPrice: for every
 * such model of the large providers in the bundled data, and any token
 * counts, the figure is exactly the library's.
 */
import { calcPrice, findProvider } from '@pydantic/genai-prices';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flatCost, flatRateOf } from '../src/pricing/flat-rate.js';

const PROVIDERS = [
  ...['openai', 'anthropic', 'google', 'mistral', 'deepseek', 'groq', 'x-ai', 'aws', 'azure', 'cohere'],
  ...['openrouter', 'together', 'fireworks', 'perplexity', 'huggingface', 'novita', 'cerebras', 'avian'],
];

const flatModels = PROVIDERS.flatMap((id) => {
  const provider = findProvider({ providerId: id });
  if (!provider) return [];
  return provider.models.flatMap((model) => {
    const rate = flatRateOf(model);
    const one = { ...provider, models: [model] };
    // Models the library finds by their own id (some match other spellings only).
    const found = calcPrice({ input_tokens: 1, output_tokens: 1 }, model.id, { provider: one });
    return rate && found ? [{ provider: one, model, rate }] : [];
  });
});

describe('flat rates', () => {
  it('cost plain tokens exactly what calcPrice says', () => {
    expect(flatModels.length, 'the data has flat-rate models').toBeGreaterThan(50);
    expect(flatModels.some((m) => 'web_searches_kcount' in m.model.prices)).toBe(true);
    const tokens = fc.oneof(fc.nat({ max: 10_000 }), fc.nat({ max: 10_000_000 }), fc.constant(0));
    fc.assert(
      fc.property(
        fc.constantFrom(...flatModels),
        tokens,
        tokens,
        ({ provider, model, rate }, input, output) => {
          const usage = { input_tokens: input, output_tokens: output };
          const library = calcPrice(usage, model.id, { provider, timestamp: new Date() });
          expect(library?.model.id).toBe(model.id);
          expect(flatCost(rate, usage)).toBe(library?.total_price);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('are only constant input and output (and cache) rates', () => {
    const model = { id: 'm', match: { equals: 'm' } };
    expect(flatRateOf({ ...model, prices: { input_mtok: 1, output_mtok: 2, cache_read_mtok: 0.5 } })).toEqual(
      {
        inputMtok: 1,
        outputMtok: 2,
      },
    );
    expect(flatRateOf({ ...model, prices: [{ prices: { input_mtok: 1, output_mtok: 2 } }] })).toBeUndefined();
    expect(
      flatRateOf({ ...model, prices: { input_mtok: 1, output_mtok: 2, input_audio_mtok: 3 } }),
    ).toBeUndefined();
    const perRequest = { input_mtok: 1, output_mtok: 2, requests_kcount: 1 };
    expect(flatRateOf({ ...model, prices: perRequest })).toBeUndefined(); // a request is never zero usage
    const tiered = { base: 1, tiers: [{ start: 200_000, price: 2 }] };
    expect(flatRateOf({ ...model, prices: { input_mtok: tiered, output_mtok: 2 } })).toBeUndefined();
  });
});
