import type { EmbeddingModelV4, LanguageModelV4 } from '@ai-sdk/provider';
import type { Caps, Governor, ModelRef, Pricing, Subject } from '@governor/core';

/** What the middleware did to a call because of the authority's caps. */
export interface AppliedCaps {
  decision: 'ALLOW' | 'ALLOW_WITH_CAPS';
  caps?: Caps | undefined;
  /** The `maxOutputTokens` sent, when a cap lowered it. */
  maxOutputTokens?: number;
  /** The model the call went to, when caps switched it to the cheaper one. */
  downgradedTo?: string;
  /** Tools removed from the call because the caps deny them. */
  droppedTools?: string[];
}

/** Options shared by the language-model and embedding middleware. */
export interface GovernorModelOptionsBase {
  /** The lifecycle the calls go through (`createGovernor` from `@governor/core`). */
  governor: Governor;
  /** Prices for estimates and commits; default `createPricing()` (the bundled price data). */
  pricing?: Pricing;
  /** The price-database model a provider model is priced as; default `{ provider, modelId }`. */
  priceAs?: (model: { provider: string; modelId: string }) => ModelRef | string;
  /** Levels added to the current subject for every call (e.g. `{ agent: 'triage' }`). */
  subject?: Partial<Subject>;
}

export interface GovernorModelOptions extends GovernorModelOptionsBase {
  /**
   * The cheaper model used when the authority answers ALLOW_WITH_CAPS: a model,
   * or a function of the requested model id (return undefined to keep it).
   */
  downgrade?: LanguageModelV4 | ((modelId: string) => LanguageModelV4 | undefined);
  /** Output tokens reserved for a call that sets no `maxOutputTokens`; default 4,096. */
  defaultMaxOutputTokens?: number;
  /** Called with what the caps changed on a call, before it runs. Must not throw. */
  onApplied?: (applied: AppliedCaps, call: { modelId: string }) => void;
}

export type GovernorEmbeddingOptions = GovernorModelOptionsBase;

export type PricedModel = Pick<LanguageModelV4 | EmbeddingModelV4, 'provider' | 'modelId'>;
