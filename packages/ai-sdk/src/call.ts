import type {
  JSONObject,
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Usage,
  SharedV4ProviderMetadata,
} from '@ai-sdk/provider';
import {
  assertPriceable,
  downgradeFor,
  type Grant,
  type ModelCallPlan,
  type ModelIdentity,
  planModelCall,
  type TokenUsage,
} from '@governor/core';
import type { CappedCall } from './caps.js';
import { jsonCopy } from './json-copy.js';
import type { GovernorModelOptions } from './options.js';

export const identityOf = (model: ModelIdentity) => ({ provider: model.provider, modelId: model.modelId });

/** Reserve for a model call: its prompt (and tool definitions) plus its full output cap, priced; aborted with its signal. */
export function planLlmCall(
  options: GovernorModelOptions,
  params: LanguageModelV4CallOptions,
  model: LanguageModelV4,
): ModelCallPlan {
  const cheaper = downgradeFor(options, identityOf(model));
  if (cheaper) assertPriceable(options, identityOf(cheaper));
  return planModelCall(options, {
    model: identityOf(model),
    prompt: params.tools?.length ? [...params.prompt, { tools: params.tools }] : params.prompt,
    maxOutputTokens: params.maxOutputTokens,
    subject: options.subject,
    downgrade: cheaper ? identityOf(cheaper) : undefined,
    signal: params.abortSignal,
  });
}

/** `providerMetadata.governor`: the decision, the reservation, what the caps changed, and how the prompt was sized. */
export function withGovernorMetadata(
  metadata: SharedV4ProviderMetadata | undefined,
  grant: Grant,
  call: CappedCall,
  plan: ModelCallPlan,
): SharedV4ProviderMetadata {
  const governor = jsonCopy({
    ...call.applied,
    action: grant.action.name,
    reservationId: grant.reservationId,
    estimate: grant.estimate,
    enforced: grant.enforced,
    request: plan.request,
  }) as JSONObject;
  return { ...metadata, governor };
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
