import type { LanguageModelV4, LanguageModelV4CallOptions } from '@ai-sdk/provider';
import { type AppliedCaps, type Grant, planCaps } from '@governor/core';
import { downgradeOf } from './call.js';
import type { GovernorModelOptions } from './options.js';

/** The call as it goes out after the grant: possibly other params and another model. */
export interface CappedCall {
  params: LanguageModelV4CallOptions;
  model: LanguageModelV4;
  applied: AppliedCaps;
  /** Whether the params differ from what the caller asked for. */
  paramsChanged: boolean;
}

/**
 * Apply an enforced grant's caps to a call (core's `planCaps`): lower
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
  const cheaper = downgradeOf(options, model);
  const forced = params.toolChoice?.type === 'tool' ? params.toolChoice.toolName : undefined;
  const plan = planCaps(
    grant,
    {
      maxOutputTokens: params.maxOutputTokens,
      tools: (params.tools ?? []).map((tool) => tool.name),
      forcedTool: forced,
      canDowngrade: !!cheaper && cheaper.modelId !== model.modelId,
    },
    options.governor.capsInForce(grant.subject),
  );
  const { applied } = plan;
  const next: LanguageModelV4CallOptions = { ...params };
  if (applied.maxOutputTokens !== undefined) next.maxOutputTokens = applied.maxOutputTokens;
  if (plan.keptTools) {
    const kept = new Set(plan.keptTools);
    next.tools = (params.tools ?? []).filter((tool) => kept.has(tool.name));
    if (next.tools.length === 0) delete next.toolChoice;
  }
  const target = plan.downgrade && cheaper ? cheaper : model;
  if (target !== model) applied.downgradedTo = target.modelId;
  const paramsChanged = applied.maxOutputTokens !== undefined || !!plan.keptTools;
  return { params: paramsChanged ? next : params, model: target, applied, paramsChanged };
}
