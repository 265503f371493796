import type { LanguageModelV4Usage } from '@ai-sdk/provider';
import { createPricing, type ModelRef, type Pricing, type TokenUsage } from '@governor/core';
import type { GovernorModelOptionsBase, PricedModel } from './options.js';

let shared: Pricing | undefined;

/** The pricing of `options`, or one shared default over the bundled price data. */
export const pricingOf = (options: GovernorModelOptionsBase): Pricing =>
  options.pricing ?? (shared ??= createPricing());

export function modelRefOf(options: GovernorModelOptionsBase, model: PricedModel): ModelRef | string {
  const { provider, modelId } = model;
  return options.priceAs ? options.priceAs({ provider, modelId }) : { provider, modelId };
}

/** The action name of a model: `provider:modelId` of the model it is priced as. */
export function actionNameOf(ref: ModelRef | string): string {
  if (typeof ref === 'string') return ref;
  return ref.provider ? `${ref.provider}:${ref.modelId}` : ref.modelId;
}

/**
 * The AI SDK's usage report as Governor token counts (totals include cached
 * input and reasoning output), or undefined when the provider did not report
 * both totals — the caller then commits the estimate.
 */
export function tokenUsageOf(usage: LanguageModelV4Usage | undefined): TokenUsage | undefined {
  const input = usage?.inputTokens.total;
  const output = usage?.outputTokens.total;
  if (input === undefined || output === undefined) return undefined;
  return {
    inputTokens: input,
    outputTokens: output,
    cachedInputTokens: usage?.inputTokens.cacheRead ?? 0,
    cacheWriteTokens: usage?.inputTokens.cacheWrite ?? 0,
    reasoningTokens: usage?.outputTokens.reasoning ?? 0,
  };
}

/** What a finished call costs, in USD_MICROCENTS, or `'estimate'` when usage is unknown. */
export function actualOf(
  options: GovernorModelOptionsBase,
  model: PricedModel,
  usage: LanguageModelV4Usage | undefined,
): number | 'estimate' {
  const tokens = tokenUsageOf(usage);
  if (!tokens) return 'estimate';
  try {
    return pricingOf(options).cost(modelRefOf(options, model), tokens);
  } catch {
    // A usage report that cannot be priced (inconsistent counts): the call ran, so its estimate is spent.
    return 'estimate';
  }
}
