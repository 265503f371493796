import type { TokenUsage } from '../pricing/types.js';
import { type ModelIdentity, type ModelPricingOptions, modelCallCost, modelRefOf } from './model-call.js';

/**
 * What a finished model call cost: its usage at the price of the model that
 * answered (a fallback or a router reports it in the response), else of the
 * model asked — `'estimate'` when there is no usage or neither can be priced.
 */
export function answeredCost(
  options: ModelPricingOptions,
  usage: TokenUsage | undefined,
  asked: ModelIdentity,
  answered?: ModelIdentity,
): { actual: number | 'estimate'; modelId: string } {
  if (answered) {
    const actual = modelCallCost(options, modelRefOf(options, answered), usage);
    if (actual !== 'estimate') return { actual, modelId: answered.modelId };
  }
  return { actual: modelCallCost(options, modelRefOf(options, asked), usage), modelId: asked.modelId };
}

/**
 * The sum of several model runs' costs (a call that an inner layer retried or
 * sent elsewhere), each at its own model's price; undefined when one of them
 * cannot be priced.
 */
export function runsCost(
  options: ModelPricingOptions,
  runs: readonly { model: ModelIdentity; usage: TokenUsage | undefined }[],
): number | undefined {
  let total = 0;
  for (const run of runs) {
    const cost = modelCallCost(options, modelRefOf(options, run.model), run.usage);
    if (cost === 'estimate') return undefined;
    total += cost;
  }
  return runs.length ? total : undefined;
}
