import type { LanguageModelV4, LanguageModelV4CallOptions } from '@ai-sdk/provider';
import { type AppliedCaps, capModelCall, downgradeFor, type Grant } from '@governor/core';
import { identityOf } from './call.js';
import type { GovernorModelOptions } from './options.js';

/** The call as it goes out after the grant: possibly other params and another model. */
export interface CappedCall {
  params: LanguageModelV4CallOptions;
  model: LanguageModelV4;
  applied: AppliedCaps;
  /** Whether the call goes out as the caller asked (the same params to the same model). */
  same: boolean;
}

/**
 * Apply an enforced grant's caps to a call (core's `capModelCall`): lower
 * `maxOutputTokens`, drop the tools the caps deny, switch to the cheaper
 * model when the caps limit output tokens. A call that forces a denied tool
 * throws BudgetDeniedError (`TOOL_DENIED_BY_CAPS`).
 */
export function applyCaps(
  grant: Grant,
  params: LanguageModelV4CallOptions,
  model: LanguageModelV4,
  options: GovernorModelOptions,
): CappedCall {
  const capped = capModelCall(options, grant, {
    model,
    cheaper: downgradeFor(options, identityOf(model)),
    modelIdOf: (m) => m.modelId,
    maxOutputTokens: params.maxOutputTokens,
    tools: params.tools ?? [],
    toolName: (tool) => tool.name,
    forcedTool: params.toolChoice?.type === 'tool' ? params.toolChoice.toolName : undefined,
  });
  const { applied, model: target, tools } = capped;
  const max = applied.maxOutputTokens;
  if (max === undefined && !tools) return { params, model: target, applied, same: target === model };
  const next: LanguageModelV4CallOptions = { ...params, ...(tools ? { tools } : {}) };
  if (max !== undefined) next.maxOutputTokens = max;
  if (tools?.length === 0) delete next.toolChoice;
  return { params: next, model: target, applied, same: false };
}
