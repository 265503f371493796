import { AsyncLocalStorage } from 'node:async_hooks';
import type { ModelIdentity, ModelRun, TokenUsage } from '@governor/core';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { type BaseMessage, ToolMessage, type UsageMetadata } from '@langchain/core/messages';

/**
 * A call the middleware (or `governTool`) already governs, seen by the callback
 * handler through async context: the same call gets one reservation.
 * `model`: every model run inside is part of the middleware's call; the handler
 * reports what each run used. `tool`: the first start of tool `name` inside is that call.
 */
export type GovernedCall =
  | { kind: 'model'; finished: ModelRun[] }
  | { kind: 'tool'; name: string; claimed: boolean };
export const governedCall = new AsyncLocalStorage<GovernedCall>();

/** A denied tool call's answer as the ToolMessage of call `id` (`status: 'error'`). */
export const deniedMessage = (name: string, id: string | undefined) => (content: string) =>
  new ToolMessage({ content, tool_call_id: id ?? '', name, status: 'error' });

/** The chat model inside a runnable binding (`bindTools`, `withConfig`), if any. */
export function chatModelOf(model: unknown): BaseChatModel | undefined {
  let current = model as { bound?: unknown; getLsParams?: unknown } | undefined;
  for (let depth = 0; current && depth < 8; depth++) {
    if (typeof current.getLsParams === 'function') return current as unknown as BaseChatModel;
    current = current.bound as typeof current;
  }
  return undefined;
}

/** Provider, model id and max tokens of a chat model, as it reports them to LangSmith. */
export function identityOf(model: unknown): ModelIdentity & { maxTokens?: number | undefined } {
  const ls = chatModelOf(model)?.getLsParams({} as never);
  return { provider: ls?.ls_provider, modelId: ls?.ls_model_name ?? 'unknown', maxTokens: ls?.ls_max_tokens };
}

/** The model that answered, from the response's metadata (`model_provider`, `model_name`). */
export function answeredBy(message: {
  response_metadata?: Record<string, unknown>;
}): ModelIdentity | undefined {
  const meta = message.response_metadata ?? {};
  const modelId = meta.model_name ?? meta.model;
  if (typeof modelId !== 'string' || !modelId) return undefined;
  return { provider: typeof meta.model_provider === 'string' ? meta.model_provider : undefined, modelId };
}

/** Messages as plain role/content records, for a token estimate that does not count class metadata. */
export function promptOf(messages: readonly (BaseMessage | string)[], tools?: unknown): unknown[] {
  const plain: unknown[] = messages.map((m) =>
    typeof m === 'string'
      ? m
      : { role: m.type, content: m.content, ...('tool_calls' in m ? { tool_calls: m.tool_calls } : {}) },
  );
  if (Array.isArray(tools) && tools.length) plain.push({ tools });
  return plain;
}

/** LangChain's `usage_metadata` as Governor token counts. */
export function tokenUsageOf(usage: UsageMetadata | undefined): TokenUsage | undefined {
  if (usage?.input_tokens === undefined || usage.output_tokens === undefined) return undefined;
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cachedInputTokens: usage.input_token_details?.cache_read ?? 0,
    cacheWriteTokens: usage.input_token_details?.cache_creation ?? 0,
    reasoningTokens: usage.output_token_details?.reasoning ?? 0,
  };
}

const capped = new WeakMap<object, Map<number, BaseChatModel>>();

/**
 * The same chat model with `maxTokens` lowered: re-created (once per limit)
 * from the fields it was constructed with; undefined for models without `maxTokens`.
 */
export function withMaxTokens(model: BaseChatModel, maxTokens: number): BaseChatModel | undefined {
  const fields = (model as unknown as { lc_kwargs?: Record<string, unknown> }).lc_kwargs;
  if (!fields || !('maxTokens' in model)) return undefined;
  const byLimit = capped.get(model) ?? new Map<number, BaseChatModel>();
  capped.set(model, byLimit);
  const Model = model.constructor as new (fields: Record<string, unknown>) => BaseChatModel;
  const lowered = byLimit.get(maxTokens) ?? new Model({ ...fields, maxTokens });
  byLimit.set(maxTokens, lowered);
  return lowered;
}
