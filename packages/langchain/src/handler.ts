import {
  checkAdapterOptions,
  type Delivery,
  type ModelIdentity,
  planModelCall,
  type Subject,
  startToolCall,
  type TokenUsage,
  toolGuardFor,
  trackDelivery,
  withRunLevel,
} from '@governor/core';
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
type Run = { model: ModelIdentity; usage?: TokenUsage | undefined };
type OpenModel = Run & { delivery?: Delivery; report?: Run[] };

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
  readonly #parents = new Map<string, string | undefined>();
  readonly #adopted = new Map<string, string>();
  readonly #models = new Map<string, OpenModel>();
  readonly #tools = new Map<string, (error?: unknown) => Promise<void>>();

  constructor(options: GovernorHandlerOptions) {
    super();
    this.#options = checkAdapterOptions(options, 'GovernorCallbackHandler', optionSchemas.handler);
  }

  /** Calls in flight (reserved, not yet settled). */
  get pending(): number {
    return [...this.#models.values()].filter((m) => m.delivery).length + this.#tools.size;
  }
  /** LangChain runs tracked for run mapping (0 once every invocation has ended). */
  get tracked(): number {
    return this.#parents.size;
  }

  /** Charge the root run above `runId` as Governor run `run` (the middleware's agent run). */
  adoptRun(runId: string, run: string): void {
    this.#adopted.set(this.#rootOf(runId), run);
  }

  override handleChainStart(...[, , runId, parentRunId]: Hook<'handleChainStart'>) {
    this.#parents.set(runId, parentRunId);
  }
  override handleChainEnd(...[, runId]: Hook<'handleChainEnd'>) {
    this.#parents.delete(runId);
    this.#adopted.delete(runId);
  }
  override handleChainError(...[, runId]: Hook<'handleChainError'>) {
    this.handleChainEnd(undefined as never, runId);
  }

  override handleChatModelStart(...[, messages, runId, parent, extra, , meta]: Hook<'handleChatModelStart'>) {
    return this.#modelStart('chat model', promptOf(messages[0] ?? []), runId, parent, extra, meta);
  }
  override handleLLMStart(...[, prompts, runId, parent, extra, , meta]: Hook<'handleLLMStart'>) {
    return this.#modelStart('text LLM', prompts, runId, parent, extra, meta);
  }

  override handleLLMNewToken(...[token, , runId]: Hook<'handleLLMNewToken'>) {
    this.#models.get(runId)?.delivery?.delta(token);
  }

  override async handleLLMEnd(...[output, runId]: Hook<'handleLLMEnd'>) {
    const open = this.#take(runId);
    const usage = usageOf(output);
    open?.report?.push({ model: open.model, usage });
    await open?.delivery?.finish(usage);
  }

  override async handleLLMError(...[error, runId]: Hook<'handleLLMError'>) {
    // What a stream delivered before it failed is charged; a call that failed outright is released.
    const reason = `model call failed: ${error instanceof Error ? error.message : String(error)}`;
    await this.#take(runId)?.delivery?.stop('failed', reason);
  }

  override async handleToolStart(...[tool, input, runId, parent, , , runName]: Hook<'handleToolStart'>) {
    this.#parents.set(runId, parent);
    const name = runName ?? tool.id?.at(-1) ?? 'tool';
    const inside = governedCall.getStore();
    if (inside?.kind === 'tool' && inside.name === name && !inside.claimed) {
      inside.claimed = true; // the middleware (or governTool) guards this very call
      return;
    }
    const guard = toolGuardFor(this.#options, name, this.#subjectFor(runId));
    try {
      this.#tools.set(runId, await startToolCall(guard, { name, args: parseArgs(input) }));
    } catch (denial) {
      this.#parents.delete(runId);
      throw denial;
    }
  }
  override handleToolEnd(...[, runId]: Hook<'handleToolEnd'>) {
    return this.#endTool(runId);
  }
  override handleToolError(...[error, runId]: Hook<'handleToolError'>) {
    return this.#endTool(runId, error ?? new Error('tool failed'));
  }

  async #modelStart(
    type: string,
    prompt: unknown[],
    runId: string,
    parent?: string,
    extra?: Meta,
    meta?: Meta,
  ) {
    this.#parents.set(runId, parent);
    const params = (extra?.invocation_params ?? {}) as Record<string, unknown>;
    const modelId = (meta?.ls_model_name ?? params.model ?? params.model_name) as string | undefined;
    const model = { provider: meta?.ls_provider as string | undefined, modelId: modelId ?? 'unknown' };
    const inside = governedCall.getStore();
    if (inside?.kind === 'model') {
      // Part of the middleware's call, which is reserved: report what this run used.
      this.#models.set(runId, { model, report: inside.finished });
      return;
    }
    if (!modelId && !this.#options.priceAs) {
      this.#parents.delete(runId);
      throw new TypeError(
        `GovernorCallbackHandler: cannot price this ${type} run — it reports no model name ` +
          '(ls_model_name or invocation params); pass priceAs to name the model it is priced as',
      );
    }
    const max = meta?.ls_max_tokens ?? params.max_tokens ?? params.max_completion_tokens;
    const plan = planModelCall(this.#options, {
      model,
      prompt,
      maxOutputTokens: max as number | undefined,
      subject: this.#subjectFor(runId),
    });
    const streaming = isStream();
    try {
      const handle = await this.#options.governor.begin(plan.spec);
      handle.onExpire(() => this.#take(runId));
      // A stream's prompt is sent and its consumer pulling: from here on, going idle settles it.
      const call = { ref: plan.ref, promptTokens: plan.promptTokens, started: streaming };
      this.#models.set(runId, { model, delivery: trackDelivery(handle, this.#options, call) });
    } catch (error) {
      this.#parents.delete(runId);
      throw error;
    }
  }

  async #endTool(runId: string, error?: unknown) {
    this.#parents.delete(runId);
    const end = this.#tools.get(runId);
    this.#tools.delete(runId);
    await end?.(error);
  }

  /** The levels a run adds: `subject`, plus its Governor run unless one is already set. */
  #subjectFor(runId: string): Partial<Subject> {
    const root = this.#rootOf(runId);
    return withRunLevel(this.#options, this.#adopted.get(root) ?? root);
  }

  #rootOf(runId: string): string {
    let root = runId;
    for (let up = this.#parents.get(runId), n = 0; up !== undefined && n < 1_000; n++) {
      root = up;
      up = this.#parents.get(up);
    }
    return root;
  }

  #take(runId: string): OpenModel | undefined {
    const open = this.#models.get(runId);
    this.#parents.delete(runId);
    this.#models.delete(runId);
    return open;
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

/** A tool run's input as arguments: LangChain passes JSON text (or an object). */
function parseArgs(input: unknown): unknown {
  try {
    return typeof input === 'string' ? JSON.parse(input) : input;
  } catch {
    return input;
  }
}

/** Whether the run starting now is `model.stream()` (callbacks do not say; a `break` triggers none). */
function isStream(): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return /\b_streamIterator\b/.test(stack);
}
