import { createPricing, type ModelRef, type Pricing, type TokenUsage } from '@governor/core';
import type { UsageMetadata } from '@langchain/core/messages';
import type { GovernorLangChainOptions, ModelIdentity } from './options.js';

export const DEFAULT_MAX_OUTPUT_TOKENS = 4_096;

let shared: Pricing | undefined;

/** The pricing of `options`, or one shared default over the bundled price data. */
export const pricingOf = (options: GovernorLangChainOptions): Pricing =>
  options.pricing ?? (shared ??= createPricing());

export function modelRefOf(options: GovernorLangChainOptions, id: ModelIdentity): ModelRef | string {
  if (options.priceAs) return options.priceAs(id);
  return { modelId: id.model ?? 'unknown', ...(id.provider ? { provider: id.provider } : {}) };
}

/** The action name of a model: `provider:modelId` of the model it is priced as. */
export function actionNameOf(ref: ModelRef | string): string {
  if (typeof ref === 'string') return ref;
  return ref.provider ? `${ref.provider}:${ref.modelId}` : ref.modelId;
}

/** LangChain's `usage_metadata` as Governor token counts (totals include their parts). */
export function tokenUsageOf(usage: UsageMetadata | undefined): TokenUsage | undefined {
  if (!usage || usage.input_tokens === undefined || usage.output_tokens === undefined) return undefined;
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cachedInputTokens: usage.input_token_details?.cache_read ?? 0,
    cacheWriteTokens: usage.input_token_details?.cache_creation ?? 0,
    reasoningTokens: usage.output_token_details?.reasoning ?? 0,
  };
}

/** What a finished call costs, in USD_MICROCENTS, or `'estimate'` when usage is unknown or unpriceable. */
export function actualOf(
  options: GovernorLangChainOptions,
  ref: ModelRef | string,
  usage: TokenUsage | undefined,
): number | 'estimate' {
  if (!usage) return 'estimate';
  try {
    return pricingOf(options).cost(ref, usage);
  } catch {
    // The call ran, so its estimate is spent.
    return 'estimate';
  }
}
