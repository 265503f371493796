import {
  type Amount,
  type DecisionResponse,
  estimateTokens,
  extendSubject,
  type Governor,
  isToolAllowed,
  type ModelPricingOptions,
  planModelCall,
  type RiskPointsByTool,
  resolveRiskPoints,
  type Subject,
} from '@governor/core';
import type { PrepareStepFunction, PrepareStepResult, StopCondition, ToolSet } from 'ai';
import type { StepRequest } from './call.js';

/** What a loop helper needs to ask whether one more step may run (the model middleware's pricing options too). */
export interface LoopGuardOptions extends ModelPricingOptions {
  /** Asked with `governor.decide` (a dry evaluation; nothing is reserved). */
  governor: Governor;
  /** Levels added to the current subject, as given to the model middleware. */
  subject?: Partial<Subject>;
  /**
   * What one more step costs. Default: predicted from the last step — its
   * prompt plus everything the step added (its output, tool calls and
   * results), at its output cap, priced as the model middleware prices it
   * (at the capped price when only the capped call fits).
   */
  stepEstimate?: Amount | ((steps: readonly StepLike[]) => Amount | undefined);
  /** The loop's tools: with them, it also stops when none of their risk points can be paid. */
  tools?: ToolSet;
  /** Risk points per tool, as given to `governTools`. */
  riskPoints?: RiskPointsByTool;
  /** Tool action kind, as given to `governTools`; default `tool.call`. */
  kind?: string;
  /** Levels added per tool, as given to `governTools`. */
  toolSubject?: (toolName: string) => Partial<Subject> | undefined;
}

/** The part of an AI SDK step the helpers read. */
export interface StepLike {
  model: { provider: string; modelId: string };
  content?: readonly unknown[];
  providerMetadata?: Record<string, Record<string, unknown>> | undefined;
}

interface StepMetadata {
  action?: string;
  estimate?: Amount;
  request?: StepRequest;
}

const metadataOf = (step: StepLike | undefined): StepMetadata =>
  (step?.providerMetadata?.governor as StepMetadata | undefined) ?? {};

/**
 * The authority's answer for one more model step, as the current subject.
 * The next prompt is the last one plus what the last step added, so that is
 * what is priced — not the last step's own (smaller) estimate.
 */
export function decideNextStep(
  options: LoopGuardOptions,
  steps: readonly StepLike[],
): Promise<DecisionResponse> {
  const last = steps.at(-1);
  const meta = metadataOf(last);
  const custom =
    typeof options.stepEstimate === 'function' ? options.stepEstimate(steps) : options.stepEstimate;
  const subject = options.subject ? { subject: options.subject } : {};
  if (custom || !meta.request) {
    const name = meta.action ?? (last ? `${last.model.provider}:${last.model.modelId}` : 'next-step');
    const estimate = custom ?? { unit: 'USD_MICROCENTS' as const, amount: 0 };
    return options.governor.decide({ action: { kind: 'llm.completion', name }, estimate, ...subject });
  }
  const { promptTokens, ...request } = meta.request;
  const inputTokens = promptTokens + estimateTokens(last?.content ?? []);
  const { spec } = planModelCall(options, { ...request, inputTokens, subject: options.subject });
  return options.governor.decide(spec);
}

/** Whether none of the offered tools with risk points can be paid any more (and no free tool is offered). */
async function noToolAffordable(options: LoopGuardOptions): Promise<boolean> {
  const names = Object.keys(options.tools ?? {});
  if (names.length === 0) return false;
  const kind = options.kind ?? 'tool.call';
  const caps = options.governor.capsInForce(extendSubject(options.governor.subject, options.subject));
  for (const name of names) {
    if (!isToolAllowed(caps, name)) continue;
    const points = resolveRiskPoints(name, undefined, options);
    if (typeof points !== 'number') continue;
    if (points === 0) return false;
    const toolSubject = options.toolSubject?.(name);
    const subject = toolSubject || options.subject ? { subject: { ...options.subject, ...toolSubject } } : {};
    const answer = await options.governor.decide({
      action: { kind, name },
      estimate: { unit: 'RISK_POINTS', amount: points },
      ...subject,
    });
    if (answer.decision !== 'DENY') return false;
  }
  return true;
}

/**
 * A `stopWhen` condition: stop the loop before the authority would deny its
 * next step — the run cannot afford the next (larger) prompt, the caps leave
 * no steps (`max_steps_remaining: 0`), no offered tool can be paid for, or
 * the run's circuit breaker is open. Never stops in observe mode.
 */
export function budgetExhausted<TOOLS extends ToolSet = ToolSet>(
  options: LoopGuardOptions,
): StopCondition<TOOLS> {
  return async ({ steps }) => {
    const { governor } = options;
    if (governor.mode === 'observe') return false;
    if (governor.breaker?.openFor(extendSubject(governor.subject, options.subject))) return true;
    const next = await decideNextStep(options, steps as readonly StepLike[]);
    if (next.decision === 'DENY' || next.caps?.maxStepsRemaining === 0) return true;
    return noToolAffordable(options);
  };
}

export interface GovernPrepareStepOptions<TOOLS extends ToolSet> extends LoopGuardOptions {
  /** The tools of the call (their names are what `activeTools` selects from). */
  tools: TOOLS;
  /** Your own `prepareStep`, run first; its result is kept and narrowed. */
  prepareStep?: PrepareStepFunction<TOOLS>;
}

/**
 * A `prepareStep` that applies the authority's caps to each step:
 * `tool_allowlist` / `tool_denylist` become `activeTools`, and when
 * `max_steps_remaining` allows at most this step, the step gets no tools
 * (`toolChoice: 'none'`) so the model answers instead of looping on.
 */
export function governPrepareStep<TOOLS extends ToolSet>(
  options: GovernPrepareStepOptions<TOOLS>,
): PrepareStepFunction<TOOLS> {
  return async (step) => {
    const base = await options.prepareStep?.(step);
    if (options.governor.mode === 'observe') return base;
    const { decision, caps } = await decideNextStep(options, step.steps as readonly StepLike[]);
    if (decision !== 'ALLOW_WITH_CAPS' || !caps) return base;
    type Active = NonNullable<NonNullable<PrepareStepResult<TOOLS>>['activeTools']>;
    const names = (base?.activeTools ?? Object.keys(options.tools)) as string[];
    if (caps.maxStepsRemaining !== undefined && caps.maxStepsRemaining <= 1) {
      return { ...base, activeTools: [] as unknown as Active, toolChoice: 'none' };
    }
    const allowed = names.filter((name) => isToolAllowed(caps, name));
    return allowed.length === names.length ? base : { ...base, activeTools: allowed as unknown as Active };
  };
}
