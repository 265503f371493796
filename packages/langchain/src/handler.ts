import {
  checkAdapterOptions,
  deliveredCost,
  toolGuardFor,
  estimateTokens,
  governToolCall,
  type ModelCallPlan,
  type ModelIdentity,
  modelCallCost,
  planModelCall,
  type ReservationHandle,
  type Subject,
  type TokenUsage,
} from '@governor/core';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { Serialized } from '@langchain/core/load/serializable';
import type { BaseMessage } from '@langchain/core/messages';
import type { ChatGeneration, LLMResult } from '@langchain/core/outputs';
import { governedCall, promptOf, tokenUsageOf } from './model.js';
import { type GovernorLangChainOptions, optionFields } from './options.js';

type Meta = Record<string, unknown> | undefined;
/** Handler options: the shared ones (a callback can only raise, so a denied tool always throws). */
export type GovernorHandlerOptions = Omit<GovernorLangChainOptions, 'onDeny' | 'deniedResult'>;

interface OpenModel {
  model: ModelIdentity;
  /** Set when the handler reserved the run itself; absent inside the middleware's call. */
  handle?: ReservationHandle;
  plan?: ModelCallPlan;
  outputTokens: number;
  finished?: { model: ModelIdentity; usage: TokenUsage | undefined }[];
}

/**
 * A callback handler that governs any runnable: every chat-model and text-LLM
 * run is reserved on start (prompt + max output tokens, priced) and committed on
 * end from its usage report; a stream is settled like any abandoned stream
 * (each token is progress; idle past the governor's `handles.idleTimeoutMs`,
 * what was delivered is committed); every tool run goes through core's tool
 * guard. A DENY rejects the call with `BudgetDeniedError` before it runs.
 *
 * Runs are keyed by LangChain's root run (or the run `governorMiddleware`
 * chose for the agent). Calls the middleware governs are recognised and not
 * reserved again. Caps cannot change a request here; a tool they deny is denied.
 */
export class GovernorCallbackHandler extends BaseCallbackHandler {
  name = 'GovernorCallbackHandler';
  override awaitHandlers = true;
  override raiseError = true;
  readonly #options: GovernorHandlerOptions;
  readonly #parents = new Map<string, string | undefined>();
  readonly #adopted = new Map<string, string>();
  readonly #models = new Map<string, OpenModel>();
  readonly #tools = new Map<string, { finish: (error?: unknown) => void; settled: Promise<unknown> }>();

  constructor(options: GovernorHandlerOptions) {
    super();
    this.#options = checkAdapterOptions(options, 'GovernorCallbackHandler', optionFields.common);
  }

  /** Calls in flight (reserved, not yet settled). */
  get pending(): number {
    return [...this.#models.values()].filter((m) => m.handle).length + this.#tools.size;
  }

  /** LangChain runs tracked for run mapping (0 once every invocation has ended). */
  get tracked(): number {
    return this.#parents.size;
  }

  /** Charge the root run above `runId` as Governor run `run` (the middleware's agent run). */
  adoptRun(runId: string, run: string): void {
    this.#adopted.set(this.#rootOf(runId), run);
  }

  override handleChainStart(_c: Serialized, _i: unknown, runId: string, parentRunId?: string): void {
    this.#parents.set(runId, parentRunId);
  }
  override handleChainEnd(_o: unknown, runId: string): void {
    this.#end(runId);
  }
  override handleChainError(_e: unknown, runId: string): void {
    this.#end(runId);
  }

  override handleChatModelStart(
    _llm: Serialized,
    messages: BaseMessage[][],
    runId: string,
    parentRunId?: string,
    extra?: Meta,
    _tags?: string[],
    metadata?: Meta,
  ): Promise<void> {
    return this.#modelStart('chat model', promptOf(messages[0] ?? []), runId, parentRunId, extra, metadata);
  }

  override handleLLMStart(
    _llm: Serialized,
    prompts: string[],
    runId: string,
    parentRunId?: string,
    extra?: Meta,
    _tags?: string[],
    metadata?: Meta,
  ): Promise<void> {
    return this.#modelStart('text LLM', prompts, runId, parentRunId, extra, metadata);
  }

  override handleLLMNewToken(token: string, _idx: unknown, runId: string): void {
    const open = this.#models.get(runId);
    if (!open?.handle || !open.plan) return;
    open.outputTokens += estimateTokens(token);
    open.handle.progress(
      deliveredCost(this.#options, open.plan.ref, open.plan.promptTokens, open.outputTokens),
    );
  }

  override async handleLLMEnd(output: LLMResult, runId: string): Promise<void> {
    const open = this.#take(runId);
    const usage = usageOf(output);
    open?.finished?.push({ model: open.model, usage });
    if (!open?.handle || open.handle.state !== 'open' || !open.plan) return;
    await open.handle.commit(modelCallCost(this.#options, open.plan.ref, usage), {
      metrics: usage ? { tokensInput: usage.inputTokens, tokensOutput: usage.outputTokens } : {},
    });
  }

  override async handleLLMError(error: unknown, runId: string): Promise<void> {
    // What a stream delivered before it failed is charged; a call that failed outright is released.
    const handle = this.#take(runId)?.handle;
    const reason = `model call failed: ${messageOf(error)}`;
    await (handle?.delivered ? handle.abandon('failed', reason) : handle?.release(reason));
  }

  override async handleToolStart(
    tool: Serialized,
    input: string,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Meta,
    runName?: string,
  ): Promise<void> {
    this.#parents.set(runId, parentRunId);
    const name = runName ?? tool.id?.at(-1) ?? 'tool';
    const inside = governedCall.getStore();
    if (inside?.kind === 'tool' && inside.name === name && !inside.claimed) {
      inside.claimed = true; // the middleware (or governTool) guards this very call
      return;
    }
    let started!: () => void;
    let finish!: (error?: unknown) => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const done = new Promise<unknown>((resolve) => (finish = resolve));
    const guard = toolGuardFor(this.#options, name, this.#subjectFor(runId));
    const settled = governToolCall(guard, { name, args: parseArgs(input) }, async () => {
      started();
      const error = await done;
      if (error !== undefined) throw error;
    });
    this.#tools.set(runId, { finish, settled: settled.catch(() => undefined) });
    try {
      await Promise.race([running, settled]);
    } catch (denial) {
      this.#tools.delete(runId);
      this.#parents.delete(runId);
      throw denial;
    }
  }

  override handleToolEnd(_output: unknown, runId: string): Promise<unknown> | undefined {
    return this.#finishTool(runId, undefined);
  }

  override handleToolError(error: unknown, runId: string): Promise<unknown> | undefined {
    return this.#finishTool(runId, error ?? new Error('tool failed'));
  }

  async #modelStart(
    type: string,
    prompt: unknown[],
    runId: string,
    parentRunId: string | undefined,
    extra: Meta,
    metadata: Meta,
  ) {
    this.#parents.set(runId, parentRunId);
    const params = (extra?.invocation_params ?? {}) as Record<string, unknown>;
    const modelId = (metadata?.ls_model_name ?? params.model ?? params.model_name ?? params.modelName) as
      | string
      | undefined;
    const model = { provider: metadata?.ls_provider as string | undefined, modelId: modelId ?? 'unknown' };
    const inside = governedCall.getStore();
    if (inside?.kind === 'model') {
      // Part of the middleware's call: it reserved; report what this run used.
      this.#models.set(runId, { model, outputTokens: 0, finished: inside.finished });
      return;
    }
    if (!modelId && !this.#options.priceAs) {
      this.#parents.delete(runId);
      throw new TypeError(
        `GovernorCallbackHandler: cannot price this ${type} run — it reports no model name ` +
          '(ls_model_name or invocation params); pass priceAs to name the model it is priced as',
      );
    }
    const plan = planModelCall(this.#options, {
      model,
      prompt,
      maxOutputTokens: (metadata?.ls_max_tokens ??
        params.max_tokens ??
        params.max_completion_tokens ??
        params.maxTokens) as number | undefined,
      subject: this.#subjectFor(runId),
    });
    const streaming = isStream();
    try {
      const handle = await this.#options.governor.begin(plan.spec);
      handle.onExpire(() => this.#take(runId));
      // A stream's prompt is sent and its consumer is pulling: from here on, idle settles it.
      if (streaming) handle.progress(deliveredCost(this.#options, plan.ref, plan.promptTokens, 0));
      this.#models.set(runId, { model, handle, plan, outputTokens: 0 });
    } catch (error) {
      this.#parents.delete(runId);
      throw error;
    }
  }

  async #finishTool(runId: string, error: unknown) {
    this.#parents.delete(runId);
    const tool = this.#tools.get(runId);
    this.#tools.delete(runId);
    tool?.finish(error);
    await tool?.settled;
  }

  /** The levels a run adds: options.subject, plus its Governor run unless one is already set. */
  #subjectFor(runId: string): Partial<Subject> {
    const base = this.#options.subject ?? {};
    if (base.run !== undefined || this.#options.governor.subject.run !== undefined) return base;
    const root = this.#rootOf(runId);
    return { ...base, run: this.#adopted.get(root) ?? root };
  }

  #rootOf(runId: string): string {
    let root = runId;
    for (let next = this.#parents.get(runId), n = 0; next !== undefined && n < 1_000; n++) {
      root = next;
      next = this.#parents.get(next);
    }
    return root;
  }

  #end(runId: string): void {
    this.#parents.delete(runId);
    this.#adopted.delete(runId);
  }

  #take(runId: string): OpenModel | undefined {
    this.#parents.delete(runId);
    const open = this.#models.get(runId);
    this.#models.delete(runId);
    return open;
  }
}

/** Token counts of a finished run: the message's `usage_metadata`, else `llmOutput.tokenUsage`. */
function usageOf(output: LLMResult): TokenUsage | undefined {
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
function parseArgs(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

/**
 * Whether the model run starting now is `model.stream()`: LangChain's callbacks
 * do not say, and a stream's consumer can stop pulling without any callback
 * (a `break` after the first chunk), so the idle limit must be armed at its start.
 */
function isStream(): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  try {
    return /\b_streamIterator\b/.test(new Error().stack ?? '');
  } finally {
    Error.stackTraceLimit = limit;
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
