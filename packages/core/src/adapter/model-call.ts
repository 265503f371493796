/**
 * Model calls priced the same way in every adapter: the reservation (prompt
 * + full output cap), the capped reservation (cheaper model, capped output),
 * the commit (reported usage), and what a call that stopped part-way delivered.
 */
import type { CallSpec } from '../governor/spec.js';
import { UnknownModelPriceError } from '../pricing/errors.js';
import { createPricing } from '../pricing/pricing.js';
import { estimateTokens } from '../pricing/tokens.js';
import type { ModelRef, Pricing, TokenUsage } from '../pricing/types.js';
import type { Amount, Caps, Subject } from '../protocol/types.js';

export const DEFAULT_MAX_OUTPUT_TOKENS = 4_096;

/** Which model, as the framework names it: one shape in every adapter. */
export interface ModelIdentity {
  provider?: string | undefined;
  modelId: string;
}

/** The pricing options every model adapter takes. */
export interface ModelPricingOptions {
  /** Prices for estimates and commits; default `createPricing()` (the bundled price data). */
  pricing?: Pricing | undefined;
  /** The price-database model a framework model is priced as; default `{ provider, modelId }`. */
  priceAs?: ((model: ModelIdentity) => ModelRef | string) | undefined;
  /** Output tokens reserved for a call that sets no limit; default 4,096. */
  defaultMaxOutputTokens?: number | undefined;
}

let shared: Pricing | undefined;

/** The options' pricing, or one shared default over the bundled price data. */
export function pricingOf(options: ModelPricingOptions): Pricing {
  if (options.pricing) return options.pricing;
  shared ??= createPricing();
  return shared;
}

export function modelRefOf(options: ModelPricingOptions, model: ModelIdentity): ModelRef | string {
  if (options.priceAs) return options.priceAs({ provider: model.provider, modelId: model.modelId });
  return model.provider ? { provider: model.provider, modelId: model.modelId } : { modelId: model.modelId };
}

/** The action name of a model: `provider:modelId` of the model it is priced as. */
export function actionNameOf(ref: ModelRef | string): string {
  if (typeof ref === 'string') return ref;
  return ref.provider ? `${ref.provider}:${ref.modelId}` : ref.modelId;
}

export interface ModelCallInput {
  model: ModelIdentity;
  /** Messages (any framework's shape), counted by `estimateTokens`. */
  prompt?: unknown;
  /** The prompt's tokens when already known (wins over counting `prompt`). */
  inputTokens?: number | undefined;
  /** The call's own output limit, when it sets one. */
  maxOutputTokens?: number | undefined;
  subject?: Partial<Subject> | undefined;
  /** The model the caps switch to, when one is configured. */
  downgrade?: ModelIdentity | undefined;
  /** The caller's abort signal, for the reservation. */
  signal?: AbortSignal | undefined;
}

/** How a model step was sized: what a loop guard needs to price the next one. */
export interface StepRequest {
  model: ModelIdentity;
  downgrade?: ModelIdentity | undefined;
  maxOutputTokens?: number | undefined;
  promptTokens: number;
}

/** A model call's reservation, and what is needed to price what it delivers. */
export interface ModelCallPlan {
  spec: CallSpec;
  ref: ModelRef | string;
  promptTokens: number;
  /** How the call was sized (the call's own output limit), for pricing the step after it. */
  request: StepRequest;
}

/**
 * The reservation of a model call: its prompt plus its full output cap,
 * priced — and, for the authority's caps, the price of the capped call (on
 * the downgrade model when the caps downgrade, at `max_tokens`).
 */
export function planModelCall(options: ModelPricingOptions, input: ModelCallInput): ModelCallPlan {
  const pricing = pricingOf(options);
  const ref = modelRefOf(options, input.model);
  const promptTokens = input.inputTokens ?? estimateTokens(input.prompt);
  const maxOutputTokens =
    input.maxOutputTokens ?? options.defaultMaxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
  const amount = pricing.estimate(ref, { inputTokens: promptTokens, maxOutputTokens });
  const spec: CallSpec = {
    action: { kind: 'llm.completion', name: actionNameOf(ref) },
    estimate: { unit: 'USD_MICROCENTS', amount },
    ...(input.subject ? { subject: input.subject } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
    estimateUnderCaps: (caps) => {
      const target = input.downgrade && downgradesUnder(caps) ? modelRefOf(options, input.downgrade) : ref;
      const capped = Math.min(maxOutputTokens, caps.maxTokens ?? maxOutputTokens);
      return usd(pricing.estimate(target, { inputTokens: promptTokens, maxOutputTokens: capped }));
    },
  };
  const { model, maxOutputTokens: asked, downgrade } = input;
  return { spec, ref, promptTokens, request: { model, maxOutputTokens: asked, downgrade, promptTokens } };
}

/** An embedding call's reservation (`llm.embedding`): its values' estimated tokens, priced as input. */
export function planEmbeddingCall(
  options: ModelPricingOptions,
  input: { model: ModelIdentity; values: readonly unknown[]; subject?: Partial<Subject> | undefined },
): Omit<ModelCallPlan, 'request'> {
  const ref = modelRefOf(options, input.model);
  const promptTokens = input.values.reduce<number>((sum, value) => sum + estimateTokens(value), 0);
  const amount = pricingOf(options).estimate(ref, { inputTokens: promptTokens, maxOutputTokens: 0 });
  const spec: CallSpec = {
    action: { kind: 'llm.embedding', name: actionNameOf(ref) },
    estimate: usd(amount),
    ...(input.subject ? { subject: input.subject } : {}),
  };
  return { spec, ref, promptTokens };
}

/**
 * Whether caps switch a call to the cheaper model: when they limit output
 * tokens (a cost tier). Caps that only restrict tools, steps or pace keep
 * the model the caller chose.
 */
export const downgradesUnder = (caps: Caps | undefined): boolean => caps?.maxTokens !== undefined;

/** What a finished call costs from its reported usage, or `'estimate'` when there is none or it cannot be priced. */
export function modelCallCost(
  options: ModelPricingOptions,
  ref: ModelRef | string,
  usage: TokenUsage | undefined,
): number | 'estimate' {
  if (!usage) return 'estimate';
  try {
    return pricingOf(options).cost(ref, usage);
  } catch {
    // A usage report that cannot be priced (inconsistent counts): the call ran, so its estimate is spent.
    return 'estimate';
  }
}

/**
 * What a call that stopped part-way has delivered, when the provider reported
 * no usage: the prompt (it was sent) plus the output tokens counted from the
 * text streamed so far (`estimateTokens` of each chunk).
 */
export function deliveredCost(
  options: ModelPricingOptions,
  ref: ModelRef | string,
  promptTokens: number,
  outputTokens: number,
): number {
  return pricingOf(options).cost(ref, { inputTokens: promptTokens, outputTokens });
}

const usd = (amount: number): Amount => ({ unit: 'USD_MICROCENTS', amount });

/** A model the price data does not know (a downgrade, say) is a configuration error, said up front. */
export function assertPriceable(options: ModelPricingOptions, model: ModelIdentity): void {
  const ref = modelRefOf(options, model);
  if (pricingOf(options).knows(ref)) return;
  throw typeof ref === 'string'
    ? new UnknownModelPriceError(ref)
    : new UnknownModelPriceError(ref.modelId, ref.provider);
}
