/**
 * Pricing: model calls in USD_MICROCENTS from model id and token counts, with
 * the price data bundled in `@pydantic/genai-prices` (offline, no update).
 */
export { UnknownModelPriceError } from './errors.js';
export { createPricing } from './pricing.js';
export {
  estimateTokens,
  FILE_TOKENS_PER_100_KIB,
  IMAGE_TOKENS,
  MESSAGE_OVERHEAD_TOKENS,
  REPLY_OVERHEAD_TOKENS,
} from './tokens.js';
export type { EstimateInput, ModelPrice, ModelRef, Pricing, PricingOptions, TokenUsage } from './types.js';
