import type { Caps, Governor, ModelRef, Pricing, Subject } from '@governor/core';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';

/** What identifies a chat model for pricing: LangChain's own `ls_provider` / `ls_model_name`. */
export interface ModelIdentity {
  provider: string | undefined;
  model: string | undefined;
}

/** Options every Governor LangChain integration shares. */
export interface GovernorLangChainOptions {
  /** The lifecycle calls go through (`createGovernor` from `@governor/core`). */
  governor: Governor;
  /** Prices for estimates and commits; default `createPricing()` (the bundled price data). */
  pricing?: Pricing;
  /** The price-database model a chat model is priced as; default `{ provider, modelId: model }`. */
  priceAs?: (model: ModelIdentity) => ModelRef | string;
  /** Levels added to the current subject for every call (e.g. `{ agent: 'triage' }`). */
  subject?: Partial<Subject>;
  /** Output tokens reserved for a call whose model sets no max tokens; default 4,096. */
  defaultMaxOutputTokens?: number;
  /**
   * Risk points per call of a tool, by tool name: a number, or a function of
   * the call's arguments. Tools not named here use the governor's risk-point
   * table (`riskPoints` of `createGovernor`). A tool with no points runs unguarded.
   */
  riskPoints?: Record<string, number | ((args: unknown) => number | undefined)>;
  /** Action kind of a tool call; default `tool.call`. */
  toolKind?: string;
}

/** What the middleware changed on a model call because of the authority's caps. */
export interface AppliedCaps {
  decision: 'ALLOW' | 'ALLOW_WITH_CAPS';
  caps?: Caps | undefined;
  /** The max tokens the call ran with, when a cap lowered it. */
  maxTokens?: number;
  /** The model the call went to, when caps switched it to the cheaper one. */
  downgradedTo?: string;
  /** Tools removed from the call because the caps deny them. */
  droppedTools?: string[];
}

export interface GovernorMiddlewareOptions extends GovernorLangChainOptions {
  /**
   * The cheaper model used on ALLOW_WITH_CAPS: a chat model, or a function of
   * the requested model name (return undefined to keep it).
   */
  downgrade?: BaseChatModel | ((model: string | undefined) => BaseChatModel | undefined);
  /**
   * How a `max_tokens` cap reaches a model. Default: chat models with a
   * `maxTokens` field are re-created from their constructor fields with it
   * lowered (ChatOpenAI, ChatAnthropic…); others run uncapped (reported).
   */
  capMaxTokens?: (model: BaseChatModel, maxTokens: number) => BaseChatModel | undefined;
  /**
   * A denied model call: `end` (default) ends the agent with a final AI
   * message that says why; `throw` rejects with `BudgetDeniedError`.
   */
  onModelDeny?: 'end' | 'throw';
  /** Called with what the caps changed on a model call, before it runs. Must not throw. */
  onApplied?: (applied: AppliedCaps, call: { model: string | undefined }) => void;
}
