/**
 * Token counts of one model call, as the Vercel AI SDK reports them
 * (`LanguageModelUsage`): the totals INCLUDE their parts.
 *
 * - `inputTokens` includes `cachedInputTokens` and `cacheWriteTokens`
 *   (Anthropic's raw `input_tokens` excludes both: add them back first).
 * - `outputTokens` includes `reasoningTokens`.
 *
 * Every count is a non-negative integer; a part larger than its total is an
 * InvalidRequestError, never a silently wrong charge.
 */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens read from the provider's prompt cache (billed at the cache-read price). */
  cachedInputTokens?: number;
  /** Input tokens written to the prompt cache (billed at the cache-write price where there is one). */
  cacheWriteTokens?: number;
  /** Reasoning tokens, already counted in `outputTokens`: billed once, as output. */
  reasoningTokens?: number;
}

/** A caller-supplied price, in US dollars per million tokens. */
export interface ModelPrice {
  inputPerMillionUsd: number;
  outputPerMillionUsd: number;
  /** Price of cache-read input tokens; without it they cost the input price. */
  cachedInputPerMillionUsd?: number;
}

/**
 * Which model. `provider` is a price-database provider id (`openai`,
 * `anthropic`, `google`…). A `modelId` of `openai:gpt-4o` or `openai/gpt-4o`
 * is split into provider and model; a plain string is read the same way.
 */
export interface ModelRef {
  modelId: string;
  provider?: string;
}

export interface EstimateInput {
  /** The prompt: a string, or messages (AI SDK / LangChain / OpenAI shapes). */
  prompt?: string | unknown;
  /** Known input token count; wins over counting `prompt`. */
  inputTokens?: number;
  /** The call's output cap (`maxOutputTokens` / `max_tokens`), priced in full. */
  maxOutputTokens: number;
}

/** Prices model calls in USD_MICROCENTS (1 USD = 10^8), always whole integers. */
export interface Pricing {
  /** What a call with this usage costs (the commit amount). */
  cost(model: ModelRef | string, usage: TokenUsage): number;
  /** Upper-bound cost before the call (the reserve amount): prompt tokens + the full output cap. */
  estimate(model: ModelRef | string, input: EstimateInput): number;
  /** Whether a price is known (caller price or the bundled database). */
  knows(model: ModelRef | string): boolean;
}

export interface PricingOptions {
  /** Caller prices by model id (`gpt-4o`, or `openai:gpt-4o` for one provider only); they win over the database. */
  prices?: Record<string, ModelPrice>;
  /** Heuristic characters per token for estimates; default 4. */
  charsPerToken?: number;
  /** Picks the price in effect for date- or time-of-day-dependent prices; default the system clock. */
  clock?: { now(): number };
}
