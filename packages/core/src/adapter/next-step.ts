/**
 * Loop guards every adapter can use: the price of an agent loop's next model
 * step, predicted from the last one, and whether any offered tool can still
 * be paid for — so a loop stops by its own condition before a denial.
 */
import { isToolAllowed } from '../caps.js';
import { extendSubject } from '../governor/context.js';
import type { Governor } from '../governor/governor.js';
import { estimateTokens } from '../pricing/tokens.js';
import type { DecisionResponse } from '../protocol/messages.js';
import type { Amount, Subject } from '../protocol/types.js';
import { type ModelPricingOptions, planModelCall, type StepRequest } from './model-call.js';
import { type RiskPointsByTool, resolveRiskPoints } from './risk-points.js';

/**
 * The authority's dry answer for the next step: the last prompt plus what
 * the last step added (`added`: its output, tool calls and tool results, in
 * any shape `estimateTokens` reads), at the same output cap, caps-aware.
 */
export function decideNextModelStep(
  options: ModelPricingOptions & { governor: Governor; subject?: Partial<Subject> | undefined },
  last: StepRequest,
  added: unknown,
): Promise<DecisionResponse> {
  const { promptTokens, ...request } = last;
  const inputTokens = promptTokens + estimateTokens(added ?? []);
  const { spec } = planModelCall(options, { ...request, inputTokens, subject: options.subject });
  return options.governor.decide(spec);
}

/** What `decideStep` knows of the next step. */
export interface NextStep {
  /** How the last step was sized, when known: the next is priced from it. */
  request?: StepRequest | undefined;
  /** What the last step added (see `decideNextModelStep`). */
  added?: unknown;
  /** The caller's own price for the next step: wins over the prediction. */
  estimate?: Amount | undefined;
  /** The action name when it cannot be priced (decided at 0). */
  name: string;
}

/**
 * The authority's dry answer for the next model step: at the caller's
 * `estimate`, else priced from the last step's `request`, else at 0 (caps
 * and circuit only) — as the options' subject.
 */
export function decideStep(
  options: ModelPricingOptions & { governor: Governor; subject?: Partial<Subject> | undefined },
  next: NextStep,
): Promise<DecisionResponse> {
  if (!next.estimate && next.request) return decideNextModelStep(options, next.request, next.added);
  return options.governor.decide({
    action: { kind: 'llm.completion', name: next.name },
    estimate: next.estimate ?? { unit: 'USD_MICROCENTS', amount: 0 },
    ...(options.subject ? { subject: options.subject } : {}),
  });
}

export interface ToolAffordability {
  governor: Governor;
  subject?: Partial<Subject> | undefined;
  toolSubject?: ((toolName: string) => Partial<Subject> | undefined) | undefined;
  riskPoints?: RiskPointsByTool | undefined;
  kind?: string | undefined;
}

/**
 * Whether none of `tools` can be paid for any more: every tool the caps in
 * force allow has risk points its budget cannot cover (a free tool, or one
 * whose points depend on its arguments, counts as affordable).
 */
export async function noToolAffordable(
  options: ToolAffordability,
  tools: readonly string[],
): Promise<boolean> {
  if (tools.length === 0) return false;
  const { governor } = options;
  const kind = options.kind ?? 'tool.call';
  const caps = governor.capsInForce(extendSubject(governor.subject, options.subject));
  for (const name of tools) {
    if (!isToolAllowed(caps, name)) continue;
    const points = resolveRiskPoints(name, undefined, options);
    if (typeof points !== 'number') continue;
    if (points === 0) return false;
    const subject = { ...options.subject, ...options.toolSubject?.(name) };
    const answer = await governor.decide({
      action: { kind, name },
      estimate: { unit: 'RISK_POINTS', amount: points },
      subject,
    });
    if (answer.decision !== 'DENY') return false;
  }
  return true;
}

/** The consecutive denials of the subject's loop when its circuit breaker is open (never in observe mode). */
export function circuitOpenFor(governor: Governor, subject?: Partial<Subject>): number | undefined {
  if (!governor.breaker || governor.mode === 'observe') return undefined;
  return governor.breaker.openFor(extendSubject(governor.subject, subject));
}

/**
 * Whether an agent loop should stop before its next step (never in observe
 * mode): its circuit breaker is open, the authority's dry answer for the step
 * (`next`) denies it or leaves no steps (`max_steps_remaining: 0`), or none
 * of `tools` can be paid for.
 */
export async function loopExhausted(
  options: ToolAffordability,
  next: () => Promise<DecisionResponse>,
  tools: readonly string[],
): Promise<boolean> {
  if (options.governor.mode === 'observe') return false;
  if (circuitOpenFor(options.governor, options.subject)) return true;
  const answer = await next();
  if (answer.decision === 'DENY' || answer.caps?.maxStepsRemaining === 0) return true;
  return noToolAffordable(options, tools);
}

/**
 * What the caps of the next step's answer do to the `tools` it offers:
 * `final` (offer none, so the model answers) when `max_steps_remaining`
 * allows at most this step, else the tools the caps allow — undefined when
 * they change nothing.
 */
export function nextStepTools(
  answer: DecisionResponse,
  tools: readonly string[],
): { tools: string[]; final: boolean } | undefined {
  const { decision, caps } = answer;
  if (decision !== 'ALLOW_WITH_CAPS' || !caps) return undefined;
  if (caps.maxStepsRemaining !== undefined && caps.maxStepsRemaining <= 1) return { tools: [], final: true };
  const allowed = tools.filter((name) => isToolAllowed(caps, name));
  return allowed.length === tools.length ? undefined : { tools: allowed, final: false };
}
