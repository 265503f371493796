import type {
  JSONObject,
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Usage,
  SharedV4ProviderMetadata,
} from '@ai-sdk/provider';
import { type CallSpec, type Grant, type StandardMetrics, UnknownModelPriceError } from '@governor/core';
import { applyCaps, type CappedCall } from './caps.js';
import type { GovernorModelOptions } from './options.js';
import { actionNameOf, modelRefOf, pricingOf, tokenUsageOf } from './pricing.js';

export const DEFAULT_MAX_OUTPUT_TOKENS = 4_096;

/** Reserve for a model call: its prompt (and tool definitions) plus its full output cap, priced. */
export function llmSpec(
  options: GovernorModelOptions,
  params: LanguageModelV4CallOptions,
  model: LanguageModelV4,
): CallSpec {
  const ref = modelRefOf(options, model);
  const prompt = params.tools?.length ? [...params.prompt, { tools: params.tools }] : params.prompt;
  const maxOutputTokens =
    params.maxOutputTokens ?? options.defaultMaxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
  const amount = pricingOf(options).estimate(ref, { prompt, maxOutputTokens });
  return {
    action: { kind: 'llm.completion', name: actionNameOf(ref) },
    estimate: { unit: 'USD_MICROCENTS', amount },
    ...(options.subject ? { subject: options.subject } : {}),
  };
}

/** Apply the caps, check the model it lands on can be priced, and tell the caller. */
export function planCall(
  options: GovernorModelOptions,
  grant: Grant,
  params: LanguageModelV4CallOptions,
  model: LanguageModelV4,
): CappedCall {
  const call = applyCaps(grant, params, model, options);
  if (call.model !== model) {
    const ref = modelRefOf(options, call.model);
    if (!pricingOf(options).knows(ref)) {
      throw typeof ref === 'string'
        ? new UnknownModelPriceError(ref)
        : new UnknownModelPriceError(ref.modelId, ref.provider);
    }
  }
  try {
    options.onApplied?.(call.applied, { modelId: call.model.modelId });
  } catch {
    // A listener's failure never changes the call.
  }
  return call;
}

/** `providerMetadata.governor`: the decision, the reservation and what the caps changed. */
export function withGovernorMetadata(
  metadata: SharedV4ProviderMetadata | undefined,
  grant: Grant,
  call: CappedCall,
): SharedV4ProviderMetadata {
  const governor = JSON.parse(
    JSON.stringify({
      ...call.applied,
      action: grant.action.name,
      reservationId: grant.reservationId,
      estimate: grant.estimate,
      enforced: grant.enforced,
    }),
  ) as JSONObject;
  return { ...metadata, governor };
}

export function metricsOf(usage: LanguageModelV4Usage | undefined, modelId: string): StandardMetrics {
  const tokens = tokenUsageOf(usage);
  return {
    ...(tokens ? { tokensInput: tokens.inputTokens, tokensOutput: tokens.outputTokens } : {}),
    modelVersion: modelId,
  };
}
