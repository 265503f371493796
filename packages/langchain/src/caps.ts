import { type Grant, isToolAllowed, toolDeniedByCaps } from '@governor/core';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { chatModelOf, identityOf } from './model.js';
import type { AppliedCaps, GovernorMiddlewareOptions } from './options.js';

/** The part of createAgent's `ModelRequest` the caps change. */
export interface CappableRequest {
  model: unknown;
  tools: unknown[];
  toolChoice?: 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } } | undefined;
}

const nameOf = (tool: unknown) => (tool as { name?: unknown }).name as string | undefined;

/**
 * Apply an enforced ALLOW_WITH_CAPS grant to a model request: switch to the
 * configured cheaper model, lower its max tokens to `max_tokens`, drop the
 * tools the caps deny. A request that forces a denied tool cannot run as
 * asked: `BudgetDeniedError` (`TOOL_DENIED_BY_CAPS`).
 */
export function applyCaps<R extends CappableRequest>(
  grant: Grant,
  request: R,
  options: GovernorMiddlewareOptions,
): { request: R; applied: AppliedCaps } {
  const decision = grant.decision === 'ALLOW_WITH_CAPS' ? 'ALLOW_WITH_CAPS' : 'ALLOW';
  const applied: AppliedCaps = { decision, ...(grant.caps ? { caps: grant.caps } : {}) };
  if (!grant.enforced || decision === 'ALLOW') return { request, applied };
  const caps = grant.caps;
  const next = { ...request };
  const kept = request.tools.filter((tool) => isToolAllowed(caps, nameOf(tool) ?? ''));
  if (kept.length < request.tools.length) {
    applied.droppedTools = request.tools.filter((t) => !kept.includes(t)).map((t) => nameOf(t) ?? '');
    const forced = request.toolChoice;
    if (typeof forced === 'object' && applied.droppedTools.includes(forced.function.name)) {
      throw toolDeniedByCaps(grant);
    }
    next.tools = kept;
    if (kept.length === 0) delete next.toolChoice;
  }
  const requested = identityOf(request.model);
  const cheaper =
    typeof options.downgrade === 'function' ? options.downgrade(requested.model) : options.downgrade;
  if (cheaper && identityOf(cheaper).model !== requested.model) {
    next.model = cheaper;
    applied.downgradedTo = identityOf(cheaper).model ?? 'unknown';
  }
  const max = caps?.maxTokens;
  const current = identityOf(next.model).maxTokens;
  const target = chatModelOf(next.model);
  if (max !== undefined && target && (current === undefined || current > max)) {
    const capped = (options.capMaxTokens ?? withMaxTokens)(target, max);
    if (capped) {
      next.model = capped;
      applied.maxTokens = max;
    }
  }
  return { request: next, applied };
}

const recreated = new WeakMap<object, Map<number, BaseChatModel>>();

/**
 * The same chat model with `maxTokens` lowered: re-created from the fields it
 * was constructed with (`lc_kwargs`). Undefined for models without a
 * `maxTokens` field; they run uncapped and the cap is not reported as applied.
 */
export function withMaxTokens(model: BaseChatModel, maxTokens: number): BaseChatModel | undefined {
  const fields = (model as unknown as { lc_kwargs?: Record<string, unknown> }).lc_kwargs;
  if (!fields || !('maxTokens' in model)) return undefined;
  let byMax = recreated.get(model);
  if (!byMax) recreated.set(model, (byMax = new Map()));
  let capped = byMax.get(maxTokens);
  if (!capped) {
    const Model = model.constructor as new (fields: Record<string, unknown>) => BaseChatModel;
    capped = new Model({ ...fields, maxTokens });
    byMax.set(maxTokens, capped);
  }
  return capped;
}
