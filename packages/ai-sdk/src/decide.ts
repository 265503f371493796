import type { Amount, DecisionResponse, Governor, Subject } from '@governor/core';

/** What a loop helper needs to ask whether one more step may run. */
export interface LoopGuardOptions {
  /** Asked with `governor.decide` (a dry evaluation; nothing is reserved). */
  governor: Governor;
  /**
   * What one more step costs. Default: the estimate the model middleware
   * reserved for the last step (read from its `providerMetadata.governor`);
   * before the first step, nothing (only caps, frozen budgets and debt count).
   */
  stepEstimate?: Amount | ((steps: readonly StepLike[]) => Amount | undefined);
  /** Levels added to the current subject, as given to the model middleware. */
  subject?: Partial<Subject>;
}

/** The part of an AI SDK step the helpers read. */
export interface StepLike {
  model: { provider: string; modelId: string };
  providerMetadata?: Record<string, Record<string, unknown>> | undefined;
}

interface StepMetadata {
  action?: string;
  estimate?: Amount;
}

const metadataOf = (step: StepLike | undefined): StepMetadata =>
  (step?.providerMetadata?.governor as StepMetadata | undefined) ?? {};

/** The authority's answer for one more model step, as the current subject. */
export function decideNextStep(
  options: LoopGuardOptions,
  steps: readonly StepLike[],
): Promise<DecisionResponse> {
  const last = steps.at(-1);
  const meta = metadataOf(last);
  const estimate = (typeof options.stepEstimate === 'function'
    ? options.stepEstimate(steps)
    : options.stepEstimate) ??
    meta.estimate ?? { unit: 'USD_MICROCENTS', amount: 0 };
  const name = meta.action ?? (last ? `${last.model.provider}:${last.model.modelId}` : 'next-step');
  return options.governor.decide({
    action: { kind: 'llm.completion', name },
    estimate,
    ...(options.subject ? { subject: options.subject } : {}),
  });
}
