import type { LanguageModelV4 } from '@ai-sdk/provider';
import {
  anyFunction,
  type ModelAdapterOptions,
  type ModelPricingOptions,
  pricingOptionFields,
  adapterOptionFields as shared,
  type ToolAdapterOptions,
  toolOptionFields,
  withMethods,
} from '@governor/core';
import type { wrapLanguageModel } from 'ai';
import { z } from 'zod';

export type { AppliedCaps } from '@governor/core';

/** Options shared by the language-model and embedding middleware (the names every adapter uses). */
export type GovernorModelOptionsBase = Pick<ModelAdapterOptions<never>, 'governor' | 'subject'> &
  ModelPricingOptions;

/**
 * The model middleware's options (core's shared names). `downgrade`: the
 * cheaper model a call switches to when the caps limit its output tokens — a
 * model, or one per requested `{ provider, modelId }`; it must be priceable.
 * A denied model call always rejects with `BudgetDeniedError` here.
 */
export type GovernorModelOptions = Omit<ModelAdapterOptions<LanguageModelV4>, 'onModelDeny'>;

export interface GovernModelOptions extends GovernorModelOptions {
  /**
   * Middleware that runs inside the Governor, for whichever model the call
   * goes to — the requested one or the downgrade (e.g. `defaultSettingsMiddleware`).
   */
  middleware?: Parameters<typeof wrapLanguageModel>[0]['middleware'];
}

export type GovernorEmbeddingOptions = GovernorModelOptionsBase;

/** `governTools` options: core's tool-side names; `deniedResult` may return any tool result. */
export type GovernToolsOptions = ToolAdapterOptions<unknown>;

const { governor, subject, pricing, priceAs, onApplied, budgetNote } = shared;
const downgrade = z
  .union([anyFunction, withMethods('a language model (LanguageModelV4)', 'doGenerate', 'doStream')])
  .optional();
const modelFields = { governor, subject, ...pricingOptionFields, onApplied, downgrade, budgetNote };

/** The options each entry point takes, checked when it is built. */
export const optionSchemas = {
  model: z.strictObject(modelFields),
  governModel: z.strictObject({
    ...modelFields,
    middleware: z.union([z.array(z.unknown()), z.object({}).loose()]).optional(),
  }),
  embedding: z.strictObject({ governor, pricing, priceAs, subject }),
  tools: z.strictObject(toolOptionFields),
};
