import { calcPrice, type PriceCalculation, type Provider, type Usage } from '@pydantic/genai-prices';
import { systemClock } from '../clock.js';
import { InvalidRequestError } from '../errors.js';
import { findCallerPrice, indexCallerPrices } from './caller-prices.js';
import { UnknownModelPriceError } from './errors.js';
import { lookupsFor, toModelRef } from './model-ref.js';
import { usdToMicrocents } from './money.js';
import { estimateTokens } from './tokens.js';
import type { ModelRef, Pricing, PricingOptions, TokenUsage } from './types.js';
import { toLibraryUsage } from './usage.js';

/**
 * Prices from caller `prices` first, then the price data bundled with
 * `@pydantic/genai-prices`. Nothing here touches the network: the library only
 * fetches through `updatePrices`, which Governor never calls (an application
 * that calls it itself opts its whole process into that data).
 */
export function createPricing(options: PricingOptions = {}): Pricing {
  const charsPerToken = options.charsPerToken ?? 4;
  estimateTokens('', charsPerToken); // validates charsPerToken now, not on first use
  const callerPrices = indexCallerPrices(options.prices ?? {});
  const clock = options.clock ?? systemClock;

  // Which database entry a model reference resolves to, found once: matching a
  // model id against the whole database costs tens of µs a call. Cached as the
  // provider narrowed to the one matched model, so later calls still go through
  // calcPrice (time-dependent and tiered prices) but match against one entry.
  const resolved = new Map<string, { provider: Provider; modelId: string } | null>();

  const calculate = (model: ModelRef | string, usage: Usage): PriceCalculation | null => {
    const ref = toModelRef(model);
    const timestamp = new Date(clock.now());
    const caller = findCallerPrice(callerPrices, ref);
    if (caller) return calcPrice(usage, caller.key, { provider: caller.provider, timestamp });
    const cacheKey = `${ref.provider ?? ''}\u0000${ref.modelId}`;
    const hit = resolved.get(cacheKey);
    if (hit !== undefined) return hit && calcPrice(usage, hit.modelId, { provider: hit.provider, timestamp });
    for (const { provider, modelId } of lookupsFor(ref)) {
      const result = calcPrice(usage, modelId, { ...(provider ? { providerId: provider } : {}), timestamp });
      if (result) {
        resolved.set(cacheKey, { provider: { ...result.provider, models: [result.model] }, modelId });
        return result;
      }
    }
    if (resolved.size >= 1_000) resolved.clear(); // unknown ids are remembered too; keep it bounded
    resolved.set(cacheKey, null);
    return null;
  };

  const price = (model: ModelRef | string, usage: TokenUsage): number => {
    const result = calculate(model, toLibraryUsage(usage));
    if (!result) {
      const ref = toModelRef(model);
      throw new UnknownModelPriceError(ref.modelId, ref.provider);
    }
    return usdToMicrocents(result.total_price, `cost of ${result.provider.id}:${result.model.id}`);
  };

  return {
    cost: price,
    estimate(model, input) {
      const inputTokens = input?.inputTokens ?? estimateTokens(input?.prompt, charsPerToken);
      checkCount('estimate.inputTokens', inputTokens);
      checkCount('estimate.maxOutputTokens', input?.maxOutputTokens);
      return price(model, { inputTokens, outputTokens: input.maxOutputTokens });
    },
    knows: (model) => calculate(model, { input_tokens: 0, output_tokens: 0 }) !== null,
  };
}

function checkCount(path: string, value: unknown): void {
  if (!Number.isSafeInteger(value) || (value as number) < 0)
    throw new InvalidRequestError([{ path, message: `must be an integer ≥ 0, got ${String(value)}` }]);
}
