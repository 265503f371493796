import type { CallSpec, ModelRef, TokenUsage } from '@governor/core';
import type { BaseMessage } from '@langchain/core/messages';
import type { ChatGeneration, LLMResult } from '@langchain/core/outputs';
import { promptOf } from './model.js';
import type { GovernorLangChainOptions } from './options.js';
import { actionNameOf, DEFAULT_MAX_OUTPUT_TOKENS, modelRefOf, pricingOf, tokenUsageOf } from './pricing.js';

type Meta = Record<string, unknown> | undefined;

/**
 * The reservation for a chat-model run seen by a callback: the model from its
 * LangSmith metadata (`ls_provider`, `ls_model_name`) or invocation params,
 * the prompt and tools, and the full output cap (`ls_max_tokens`,
 * `max_tokens`, or the default), priced.
 */
export function chatModelSpec(
  options: GovernorLangChainOptions,
  messages: BaseMessage[],
  extra: Meta,
  metadata: Meta,
): { spec: CallSpec; ref: ModelRef | string } {
  const params = (extra?.invocation_params ?? {}) as Record<string, unknown>;
  const ref = modelRefOf(options, {
    provider: metadata?.ls_provider as string | undefined,
    model: (metadata?.ls_model_name ?? params.model) as string | undefined,
  });
  const maxOutputTokens = (metadata?.ls_max_tokens ??
    params.max_tokens ??
    params.max_completion_tokens ??
    options.defaultMaxOutputTokens ??
    DEFAULT_MAX_OUTPUT_TOKENS) as number;
  const amount = pricingOf(options).estimate(ref, {
    prompt: promptOf(messages, params.tools),
    maxOutputTokens,
  });
  const spec: CallSpec = {
    action: { kind: 'llm.completion', name: actionNameOf(ref) },
    estimate: { unit: 'USD_MICROCENTS', amount },
  };
  return { spec, ref };
}

/** Token counts of a finished run: the message's `usage_metadata`, else `llmOutput.tokenUsage`. */
export function usageOf(output: LLMResult): TokenUsage | undefined {
  const generation = output.generations[0]?.[0] as ChatGeneration | undefined;
  const fromMessage = tokenUsageOf(
    (generation?.message as { usage_metadata?: never } | undefined)?.usage_metadata,
  );
  if (fromMessage) return fromMessage;
  const legacy = output.llmOutput?.tokenUsage as
    | { promptTokens?: number; completionTokens?: number }
    | undefined;
  if (legacy?.promptTokens === undefined || legacy.completionTokens === undefined) return undefined;
  return { inputTokens: legacy.promptTokens, outputTokens: legacy.completionTokens };
}

/** A tool run's input as arguments: LangChain passes JSON text (or an object). */
export function parseArgs(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}
