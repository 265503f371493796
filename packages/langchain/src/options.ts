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
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { z } from 'zod';
import type { ApprovalsMode } from './approval.js';

/** The options every Governor adapter shares (core's names), for the handler and `governTool`. */
export type GovernorLangChainOptions = ToolAdapterOptions & ModelPricingOptions;

export interface GovernorMiddlewareOptions
  extends GovernorLangChainOptions,
    Omit<ModelAdapterOptions<BaseChatModel>, keyof GovernorLangChainOptions> {
  /** How a `max_tokens` cap reaches a model; default: re-created from its fields with `maxTokens` lowered. */
  capMaxTokens?: (model: BaseChatModel, maxTokens: number) => BaseChatModel | undefined;
  /** One Governor `run` per `agent.invoke` (default), or per conversation (`configurable.thread_id`). */
  runPer?: 'invoke' | 'thread';
  /**
   * A tool call the governor's approvals policy pauses: `interrupt` (default)
   * pauses the graph until an operator decides (needs a checkpointer);
   * `message` answers with a ToolMessage that says how to approve it.
   */
  approvals?: ApprovalsMode;
}

const common = { ...toolOptionFields, ...pricingOptionFields };
const { onDeny, deniedResult, ...handler } = common;
/** The options each piece takes, checked when it is built. */
export const optionSchemas = {
  common: z.strictObject(common),
  handler: z.strictObject(handler),
  middleware: z.strictObject({
    ...shared,
    downgrade: z.union([anyFunction, withMethods('a chat model', 'invoke')]).optional(),
    capMaxTokens: anyFunction.optional(),
    runPer: z.enum(['invoke', 'thread']).optional(),
    approvals: z.enum(['interrupt', 'message']).optional(),
  }),
};
