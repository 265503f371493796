import { isToolAllowed } from '@governor/core';
import type { PrepareStepFunction, PrepareStepResult, StopCondition, ToolSet } from 'ai';
import { decideNextStep, type LoopGuardOptions, type StepLike } from './decide.js';

/**
 * A `stopWhen` condition: stop the loop when the authority would deny the
 * next step (the run's budget can no longer afford one) or the caps leave no
 * steps (`max_steps_remaining: 0`). Never stops in observe mode.
 */
export function budgetExhausted<TOOLS extends ToolSet = ToolSet>(
  options: LoopGuardOptions,
): StopCondition<TOOLS> {
  return async ({ steps }) => {
    if (options.governor.mode === 'observe') return false;
    const next = await decideNextStep(options, steps as readonly StepLike[]);
    return next.decision === 'DENY' || next.caps?.maxStepsRemaining === 0;
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
