import type { EmbeddingModelV4, LanguageModelV4 } from '@ai-sdk/provider';
import type { AppliedCaps, Governor, ModelPricingOptions, Subject } from '@governor/core';
import type { wrapLanguageModel } from 'ai';

export type { AppliedCaps } from '@governor/core';

/** Options shared by the language-model and embedding middleware (the names every adapter uses). */
export interface GovernorModelOptionsBase extends ModelPricingOptions {
  /** The lifecycle the calls go through (`createGovernor` from `@governor/core`). */
  governor: Governor;
  /** Levels added to the current subject for every call (e.g. `{ agent: 'triage' }`). */
  subject?: Partial<Subject>;
}

export interface GovernorModelOptions extends GovernorModelOptionsBase {
  /**
   * The cheaper model a call switches to when the authority's caps limit its
   * output tokens (see `downgradesUnder`): a model, or a function of the
   * requested model id (return undefined to keep it). Must be priceable.
   */
  downgrade?: LanguageModelV4 | ((modelId: string) => LanguageModelV4 | undefined);
  /** Called with what the caps changed on a call, before it runs. Must not throw. */
  onApplied?: (applied: AppliedCaps, call: { modelId: string }) => void;
}

export interface GovernModelOptions extends GovernorModelOptions {
  /**
   * Middleware that runs inside the Governor, for whichever model the call
   * goes to — the requested one or the downgrade (e.g. `defaultSettingsMiddleware`).
   */
  middleware?: Parameters<typeof wrapLanguageModel>[0]['middleware'];
}

export type GovernorEmbeddingOptions = GovernorModelOptionsBase;

export type PricedModel = Pick<LanguageModelV4 | EmbeddingModelV4, 'provider' | 'modelId'>;
