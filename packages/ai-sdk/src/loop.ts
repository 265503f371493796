import {
  type Amount,
  type DecisionResponse,
  decideStep,
  type Governor,
  loopExhausted,
  type ModelPricingOptions,
  nextStepTools,
  type StepRequest,
  type ToolAffordability,
} from '@governor/core';
import type { PrepareStepFunction, PrepareStepResult, StopCondition, ToolSet } from 'ai';

/** What a loop helper needs to ask whether one more step may run (the middleware's and the tools' options). */
export interface LoopGuardOptions extends ModelPricingOptions, Omit<ToolAffordability, 'governor'> {
  /** Asked with `governor.decide` (a dry evaluation; nothing is reserved). */
  governor: Governor;
  /**
   * What one more step costs. Default: predicted from the last step — its
   * prompt plus everything the step added (its output, tool calls and
   * results), at its output cap, priced as the model middleware prices it
   * (at the capped price when only the capped call fits).
   */
  stepEstimate?: Amount | ((steps: readonly StepLike[]) => Amount | undefined);
  /** The loop's tools: with them, it also stops when none of their risk points can be paid. */
  tools?: ToolSet;
}

/** The part of an AI SDK step the helpers read. */
export interface StepLike {
  model: { provider: string; modelId: string };
  content?: readonly unknown[];
  providerMetadata?: Record<string, Record<string, unknown>> | undefined;
}

const metadataOf = (step: StepLike | undefined) =>
  (step?.providerMetadata?.governor as { action?: string; request?: StepRequest } | undefined) ?? {};

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
  const { action, request } = metadataOf(last);
  const estimate =
    typeof options.stepEstimate === 'function' ? options.stepEstimate(steps) : options.stepEstimate;
  const name = action ?? (last ? `${last.model.provider}:${last.model.modelId}` : 'next-step');
  return decideStep(options, { request, added: last?.content, estimate, name });
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
  return ({ steps }) =>
    loopExhausted(
      options,
      () => decideNextStep(options, steps as readonly StepLike[]),
      Object.keys(options.tools ?? {}),
    );
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
    const names = (base?.activeTools ?? Object.keys(options.tools)) as string[];
    const next = nextStepTools(await decideNextStep(options, step.steps as readonly StepLike[]), names);
    if (!next) return base;
    type Active = NonNullable<NonNullable<PrepareStepResult<TOOLS>>['activeTools']>;
    const activeTools = next.tools as unknown as Active;
    return next.final ? { ...base, activeTools, toolChoice: 'none' } : { ...base, activeTools };
  };
}
