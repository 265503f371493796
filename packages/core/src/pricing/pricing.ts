import { calcPrice, type PriceCalculationResult, type Provider, type Usage } from '@pydantic/genai-prices';
import { systemClock } from '../clock.js';
import { InvalidRequestError } from '../errors.js';
import { findCallerPrice, indexCallerPrices } from './caller-prices.js';
import { UnknownModelPriceError } from './errors.js';
import { type FlatRate, flatCost, flatRateOf, isPlainTokens } from './flat-rate.js';
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
  // calcPrice (time-dependent and tiered prices) but match against one entry —
  // and, for a model at a flat rate, plain tokens are priced without calcPrice.
  const resolved = new Map<string, Resolved | null>();

  const calculate = (model: ModelRef | string, usage: Usage): Priced | null => {
    const ref = toModelRef(model);
    const caller = findCallerPrice(callerPrices, ref);
    if (caller)
      return pricedOf(calcPrice(usage, caller.key, { provider: caller.provider, timestamp: now() }));
    const cacheKey = `${ref.provider ?? ''}\u0000${ref.modelId}`;
    const hit = resolved.get(cacheKey);
    if (hit === null) return null;
    if (hit?.flat && isPlainTokens(usage)) return { usd: flatCost(hit.flat, usage), what: hit.what };
    if (hit) return pricedOf(calcPrice(usage, hit.modelId, { provider: hit.provider, timestamp: now() }));
    const timestamp = now();
    for (const { provider, modelId } of lookupsFor(ref)) {
      const result = calcPrice(usage, modelId, { ...(provider ? { providerId: provider } : {}), timestamp });
      if (result) {
        const narrowed = { ...result.provider, models: [result.model] };
        const what = whatOf(result);
        resolved.set(cacheKey, { provider: narrowed, modelId, flat: flatRateOf(result.model), what });
        return pricedOf(result);
      }
    }
    if (resolved.size >= 1_000) resolved.clear(); // unknown ids are remembered too; keep it bounded
    resolved.set(cacheKey, null);
    return null;
  };
  const now = () => new Date(clock.now());

  const price = (model: ModelRef | string, usage: TokenUsage): number => {
    const result = calculate(model, toLibraryUsage(usage));
    if (!result) {
      const ref = toModelRef(model);
      throw new UnknownModelPriceError(ref.modelId, ref.provider);
    }
    return usdToMicrocents(result.usd, `cost of ${result.what}`);
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

/** A resolved database entry: the provider narrowed to the matched model, and its flat rate if it has one. */
interface Resolved {
  provider: Provider;
  modelId: string;
  flat: FlatRate | undefined;
  /** `provider:model` as the library names them. */
  what: string;
}

/** What a usage costs, in USD, and on which model (`provider:model`). */
interface Priced {
  usd: number;
  what: string;
}

const whatOf = (result: NonNullable<PriceCalculationResult>) => `${result.provider.id}:${result.model.id}`;
const pricedOf = (result: PriceCalculationResult): Priced | null =>
  result && { usd: result.total_price, what: whatOf(result) };

function checkCount(path: string, value: unknown): void {
  if (!Number.isSafeInteger(value) || (value as number) < 0)
    throw new InvalidRequestError([{ path, message: `must be an integer ≥ 0, got ${String(value)}` }]);
}
