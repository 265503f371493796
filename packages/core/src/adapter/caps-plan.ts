import { isToolAllowed, mergeCaps } from '../caps.js';
import { toolDeniedByCaps } from '../governor/denial-text.js';
import type { Governor } from '../governor/governor.js';
import type { Grant } from '../governor/handle.js';
import type { Caps } from '../protocol/types.js';
import { downgradesUnder } from './model-call.js';

/** What a model call asks for, as far as caps are concerned. */
export interface CappableCall {
  maxOutputTokens?: number | undefined;
  /** The names of the tools offered. */
  tools: readonly string[];
  /** A tool the call forces (`toolChoice`), if any. */
  forcedTool?: string | undefined;
  /** Whether a cheaper model is configured. */
  canDowngrade: boolean;
}

/** What the caps change on a model call: every adapter reports it under these names. */
export interface AppliedCaps {
  decision: 'ALLOW' | 'ALLOW_WITH_CAPS';
  caps?: Caps | undefined;
  /** The output-token limit the call was lowered to, when a cap lowered it. */
  maxOutputTokens?: number;
  /** The model the call went to, when the caps switched it to the cheaper one. */
  downgradedTo?: string;
  /** Tools removed from the call because the caps deny them. */
  droppedTools?: string[];
}

export interface CapsPlan {
  applied: AppliedCaps;
  /** Switch to the cheaper model. */
  downgrade: boolean;
  /** The tools to keep offering, when some were dropped. */
  keptTools?: string[];
}

/**
 * How an enforced grant changes a model call: lower the output limit to
 * `max_tokens`, drop the tools the caps (and the loop's caps in force) deny,
 * switch to the cheaper model when the caps downgrade (see `downgradesUnder`).
 * A call that forces a denied tool cannot run as asked: TOOL_DENIED_BY_CAPS.
 * Observe mode and fail-open grants only report the caps.
 */
export function planCaps(grant: Grant, call: CappableCall, inForce?: Caps): CapsPlan {
  const decision = grant.decision === 'ALLOW_WITH_CAPS' ? 'ALLOW_WITH_CAPS' : 'ALLOW';
  const applied: AppliedCaps = { decision, ...(grant.caps ? { caps: grant.caps } : {}) };
  const caps = mergeCaps(grant.caps, inForce);
  if (!grant.enforced || !caps) return { applied, downgrade: false };
  const max = grant.caps?.maxTokens;
  if (max !== undefined && (call.maxOutputTokens === undefined || call.maxOutputTokens > max)) {
    applied.maxOutputTokens = max;
  }
  const kept = call.tools.filter((tool) => isToolAllowed(caps, tool));
  let keptTools: string[] | undefined;
  if (kept.length < call.tools.length) {
    applied.droppedTools = call.tools.filter((tool) => !kept.includes(tool));
    if (call.forcedTool && applied.droppedTools.includes(call.forcedTool)) throw toolDeniedByCaps(grant);
    keptTools = kept;
  }
  const downgrade = decision === 'ALLOW_WITH_CAPS' && call.canDowngrade && downgradesUnder(grant.caps);
  return { applied, downgrade, ...(keptTools ? { keptTools } : {}) };
}

/** A model call in its framework's own types, as `capModelCall` changes it. */
export interface ModelCallToCap<M, T> {
  model: M;
  /** The cheaper model configured for it, if any. */
  cheaper?: M | undefined;
  modelIdOf(model: M): string;
  maxOutputTokens?: number | undefined;
  tools: readonly T[];
  toolName(tool: T): string;
  /** A tool the call forces, if any. */
  forcedTool?: string | undefined;
  /**
   * How an output-token cap reaches a model that takes it as a setting (the
   * same model, lowered); undefined when it cannot, and then no cap is applied.
   * Without it the cap is the call's own `maxOutputTokens` (the caller sets it).
   */
  lowerOutput?(model: M, maxOutputTokens: number): M | undefined;
}

export interface CappedModelCall<M, T> {
  applied: AppliedCaps;
  /** The model the call goes to: the requested one, the cheaper one, or one of them lowered. */
  model: M;
  /** The tools to keep offering, when the caps dropped some. */
  tools?: T[];
}

/**
 * `planCaps` in a framework's own types: the model the call goes to (the
 * cheaper one when the caps downgrade), the tools it keeps, what the caps
 * changed — told to `onApplied` (whose failure never changes the call).
 */
export function capModelCall<M, T>(
  options: {
    governor: Governor;
    onApplied?: ((applied: AppliedCaps, call: { modelId: string }) => void) | undefined;
  },
  grant: Grant,
  call: ModelCallToCap<M, T>,
): CappedModelCall<M, T> {
  const { cheaper, modelIdOf, toolName } = call;
  const cappable: CappableCall = {
    maxOutputTokens: call.maxOutputTokens,
    tools: call.tools.map(toolName),
    forcedTool: call.forcedTool,
    canDowngrade: cheaper !== undefined && modelIdOf(cheaper) !== modelIdOf(call.model),
  };
  const { applied, downgrade, keptTools } = planCaps(
    grant,
    cappable,
    options.governor.capsInForce(grant.subject),
  );
  let model = downgrade && cheaper !== undefined ? cheaper : call.model;
  if (model !== call.model) applied.downgradedTo = modelIdOf(model);
  const max = applied.maxOutputTokens;
  if (max !== undefined && call.lowerOutput) {
    const lowered = call.lowerOutput(model, max);
    if (lowered) model = lowered;
    else delete applied.maxOutputTokens;
  }
  try {
    options.onApplied?.(applied, { modelId: modelIdOf(model) });
  } catch {
    // A listener's failure never changes the call.
  }
  const tools = keptTools && call.tools.filter((tool) => keptTools.includes(toolName(tool)));
  return { applied, model, ...(tools ? { tools } : {}) };
}
