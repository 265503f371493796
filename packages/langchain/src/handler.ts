import { checkAdapterOptions, RunEvents, type TokenUsage } from '@governor/core';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { ChatGeneration, LLMResult } from '@langchain/core/outputs';
import { governedCall, promptOf, tokenUsageOf } from './model.js';
import { type GovernorLangChainOptions, optionSchemas } from './options.js';

type Meta = Record<string, unknown> | undefined;
type Hook<K extends keyof BaseCallbackHandler> = BaseCallbackHandler[K] extends
  | ((...a: infer P) => unknown)
  | undefined
  ? P
  : never;
/** The shared options; a callback can only raise, so a denied tool always throws. */
export type GovernorHandlerOptions = Omit<GovernorLangChainOptions, 'onDeny' | 'deniedResult'>;

/**
 * Governs any runnable through callbacks: chat-model and text-LLM runs are
 * reserved on start (prompt + max output tokens, priced), committed from their
 * usage on end; a stream's tokens are progress and an idle stream settles
 * (what was delivered is committed); tool runs go through core's tool guard. A
 * DENY rejects the call with BudgetDeniedError before it runs. Runs are keyed
 * by the root LangChain run, or the agent run `governorMiddleware` chose; calls
 * the middleware governs are not reserved again. Caps cannot change a request here.
 */
export class GovernorCallbackHandler extends BaseCallbackHandler {
  name = 'GovernorCallbackHandler';
  override awaitHandlers = true;
  override raiseError = true;
  readonly #options: GovernorHandlerOptions;
  readonly #runs: RunEvents;

  constructor(options: GovernorHandlerOptions) {
    super();
    this.#options = checkAdapterOptions(options, 'GovernorCallbackHandler', optionSchemas.handler);
    this.#runs = new RunEvents(this.#options);
  }

  /** Calls in flight (reserved, not yet settled). */
  get pending(): number {
    return this.#runs.pending;
  }
  /** LangChain runs tracked for run mapping (0 once every invocation has ended). */
  get tracked(): number {
    return this.#runs.tracked;
  }

  /** Charge the root run above `runId` as Governor run `run` (the middleware's agent run). */
  adoptRun(runId: string, run: string): void {
    this.#runs.adopt(runId, run);
  }

  override handleChainStart(...[, , runId, parentRunId]: Hook<'handleChainStart'>) {
    this.#runs.started(runId, parentRunId);
  }
  override handleChainEnd(...[, runId]: Hook<'handleChainEnd'>) {
    this.#runs.ended(runId);
  }
  override handleChainError(...[, runId]: Hook<'handleChainError'>) {
    this.#runs.ended(runId);
  }

  override handleChatModelStart(...[, messages, runId, parent, extra, , meta]: Hook<'handleChatModelStart'>) {
    return this.#modelStart('chat model', promptOf(messages[0] ?? []), runId, parent, extra, meta);
  }
  override handleLLMStart(...[, prompts, runId, parent, extra, , meta]: Hook<'handleLLMStart'>) {
    return this.#modelStart('text LLM', prompts, runId, parent, extra, meta);
  }
  override handleLLMNewToken(...[token, , runId]: Hook<'handleLLMNewToken'>) {
    this.#runs.modelDelta(runId, token);
  }
  override async handleLLMEnd(...[output, runId]: Hook<'handleLLMEnd'>) {
    await this.#runs.modelEnded(runId, usageOf(output));
  }
  override async handleLLMError(...[error, runId]: Hook<'handleLLMError'>) {
    await this.#runs.modelFailed(runId, error);
  }

  override async handleToolStart(...[tool, input, runId, parent, , , runName]: Hook<'handleToolStart'>) {
    const name = runName ?? tool.id?.at(-1) ?? 'tool';
    const inside = governedCall.getStore();
    if (inside?.kind === 'tool' && inside.name === name && !inside.claimed) {
      inside.claimed = true; // the middleware (or governTool) guards this very call
      return this.#runs.started(runId, parent);
    }
    await this.#runs.toolStarted(runId, parent, name, input);
  }
  override handleToolEnd(...[, runId]: Hook<'handleToolEnd'>) {
    return this.#runs.toolEnded(runId);
  }
  override handleToolError(...[error, runId]: Hook<'handleToolError'>) {
    return this.#runs.toolEnded(runId, error ?? new Error('tool failed'));
  }

  async #modelStart(
    type: string,
    prompt: unknown[],
    runId: string,
    parent?: string,
    extra?: Meta,
    meta?: Meta,
  ) {
    const params = (extra?.invocation_params ?? {}) as Record<string, unknown>;
    const modelId = (meta?.ls_model_name ?? params.model ?? params.model_name) as string | undefined;
    const model = { provider: meta?.ls_provider as string | undefined, modelId: modelId ?? 'unknown' };
    const inside = governedCall.getStore();
    if (inside?.kind === 'model') {
      // Part of the middleware's call, which is reserved: report what this run used.
      return this.#runs.modelInside(runId, parent, model, inside.finished);
    }
    if (!modelId && !this.#options.priceAs) {
      throw new TypeError(
        `GovernorCallbackHandler: cannot price this ${type} run — it reports no model name ` +
          '(ls_model_name or invocation params); pass priceAs to name the model it is priced as',
      );
    }
    const max = meta?.ls_max_tokens ?? params.max_tokens ?? params.max_completion_tokens;
    const maxOutputTokens = max as number | undefined;
    return this.#runs.modelStarted(runId, parent, { model, prompt, maxOutputTokens, streaming: isStream() });
  }
}

/** Token counts of a finished run: the message's `usage_metadata`, else `llmOutput.tokenUsage`. */
function usageOf(output: LLMResult): TokenUsage | undefined {
  const message = (output.generations[0]?.[0] as ChatGeneration | undefined)?.message;
  const usage = tokenUsageOf((message as { usage_metadata?: never } | undefined)?.usage_metadata);
  const legacy = output.llmOutput?.tokenUsage as
    | { promptTokens?: number; completionTokens?: number }
    | undefined;
  if (usage || legacy?.promptTokens === undefined || legacy.completionTokens === undefined) return usage;
  return { inputTokens: legacy.promptTokens, outputTokens: legacy.completionTokens };
}

/** Whether the run starting now is `model.stream()` (callbacks do not say; a `break` triggers none). */
function isStream(): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return /\b_streamIterator\b/.test(stack);
}
