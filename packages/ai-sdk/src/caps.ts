import type { LanguageModelV4, LanguageModelV4CallOptions } from '@ai-sdk/provider';
import { type Grant, isToolAllowed, toolDeniedByCaps } from '@governor/core';
import type { AppliedCaps, GovernorModelOptions } from './options.js';

/** The call as it goes out after the grant: possibly other params and another model. */
export interface CappedCall {
  params: LanguageModelV4CallOptions;
  model: LanguageModelV4;
  applied: AppliedCaps;
  /** Whether params or model differ from what the caller asked for. */
  changed: boolean;
}

/**
 * Apply the grant's caps to a call: lower `maxOutputTokens` to `max_tokens`,
 * drop the tools the caps deny, and on ALLOW_WITH_CAPS switch to the
 * configured cheaper model. Caps that are not enforced (observe mode, fail
 * open) are only reported. A call that forces (`toolChoice`) a tool the caps
 * deny throws BudgetDeniedError (`TOOL_DENIED_BY_CAPS`): it cannot run as asked.
 */
export function applyCaps(
  grant: Grant,
  params: LanguageModelV4CallOptions,
  model: LanguageModelV4,
  options: Pick<GovernorModelOptions, 'downgrade'>,
): CappedCall {
  const decision = grant.decision === 'ALLOW_WITH_CAPS' ? 'ALLOW_WITH_CAPS' : 'ALLOW';
  const applied: AppliedCaps = { decision, ...(grant.caps ? { caps: grant.caps } : {}) };
  if (!grant.enforced || decision === 'ALLOW') return { params, model, applied, changed: false };
  const caps = grant.caps;
  const next: LanguageModelV4CallOptions = { ...params };
  const max = caps?.maxTokens;
  if (max !== undefined && (params.maxOutputTokens === undefined || params.maxOutputTokens > max)) {
    next.maxOutputTokens = max;
    applied.maxOutputTokens = max;
  }
  if (params.tools?.length) {
    const kept = params.tools.filter((tool) => isToolAllowed(caps, tool.name));
    if (kept.length < params.tools.length) {
      applied.droppedTools = params.tools.filter((t) => !kept.includes(t)).map((t) => t.name);
      next.tools = kept;
      const choice = params.toolChoice;
      if (choice?.type === 'tool' && applied.droppedTools.includes(choice.toolName)) {
        // The caller forces a tool the caps deny: the call cannot run as asked.
        throw toolDeniedByCaps(grant);
      }
      if (kept.length === 0) delete next.toolChoice;
    }
  }
  const cheaper =
    typeof options.downgrade === 'function' ? options.downgrade(model.modelId) : options.downgrade;
  if (cheaper && cheaper.modelId !== model.modelId) applied.downgradedTo = cheaper.modelId;
  const target = cheaper ?? model;
  const changed = target !== model || applied.maxOutputTokens !== undefined || !!applied.droppedTools;
  return { params: changed ? next : params, model: target, applied, changed };
}
