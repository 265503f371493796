import { isToolAllowed, mergeCaps } from '../caps.js';
import { toolDeniedByCaps } from '../governor/denial-text.js';
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
