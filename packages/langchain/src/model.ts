import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { BaseMessage } from '@langchain/core/messages';
import type { ModelIdentity } from './options.js';

interface LsParamsSource {
  getLsParams(options: Record<string, unknown>): {
    ls_provider?: string;
    ls_model_name?: string;
    ls_max_tokens?: number;
  };
}

/** The chat model inside a runnable binding (`model.bindTools(...)`, `withConfig`), if any. */
export function chatModelOf(model: unknown): BaseChatModel | undefined {
  let current = model as { bound?: unknown; getLsParams?: unknown } | undefined;
  for (let depth = 0; current && depth < 8; depth++) {
    if (typeof current.getLsParams === 'function') return current as unknown as BaseChatModel;
    current = current.bound as typeof current;
  }
  return undefined;
}

/** Provider, model name and max tokens of a chat model, as it reports them to LangSmith. */
export function identityOf(model: unknown): ModelIdentity & { maxTokens?: number | undefined } {
  const chat = chatModelOf(model) as unknown as LsParamsSource | undefined;
  if (!chat) return { provider: undefined, model: undefined };
  const ls = chat.getLsParams({});
  return { provider: ls.ls_provider, model: ls.ls_model_name, maxTokens: ls.ls_max_tokens };
}

/** Messages as plain role/content records, for a token estimate that does not count class metadata. */
export function promptOf(messages: readonly BaseMessage[], tools?: unknown): unknown[] {
  const plain: unknown[] = messages.map((m) => ({
    role: m.type,
    content: m.content,
    ...('tool_calls' in m && Array.isArray(m.tool_calls) && m.tool_calls.length
      ? { tool_calls: m.tool_calls }
      : {}),
  }));
  if (Array.isArray(tools) && tools.length) plain.push({ tools });
  return plain;
}
