import { assertToolAllowed, type CallSpec, type ReservationHandle, type Subject } from '@governor/core';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { Serialized } from '@langchain/core/load/serializable';
import type { BaseMessage } from '@langchain/core/messages';
import type { LLMResult } from '@langchain/core/outputs';
import { chatModelSpec, parseArgs, usageOf } from './callback-spec.js';
import { promptOf } from './model.js';
import type { GovernorLangChainOptions } from './options.js';
import {
  actionNameOf,
  actualOf,
  DEFAULT_MAX_OUTPUT_TOKENS,
  modelRefOf,
  pricingOf,
  tokenUsageOf,
} from './pricing.js';
import { RunTree } from './run-tree.js';
import { toolSpec } from './tool-guard.js';

type Meta = Record<string, unknown> | undefined;

/**
 * A callback handler that governs any runnable: every chat-model run is
 * reserved on start (prompt + max output tokens, priced) and committed on end
 * from `usage_metadata` (or `llmOutput.tokenUsage`), released on error; every
 * tool run with risk points reserves them on start, commits on end, releases
 * on error. Handlers are awaited and may raise, so a DENY rejects the call
 * with `BudgetDeniedError` before the provider or the tool runs.
 *
 * Runs are keyed by LangChain's `runId`; each root run is Governor's `run`
 * level unless the subject already has one (`governor.withRun`, the default
 * subject or `options.subject`). Caps cannot change a request here: a model's
 * caps are advisory, a tool the caps deny is denied.
 */
export class GovernorCallbackHandler extends BaseCallbackHandler {
  name = 'GovernorCallbackHandler';
  override awaitHandlers = true;
  override raiseError = true;
  readonly #options: GovernorLangChainOptions;
  readonly #open = new Map<string, { handle: ReservationHandle; ref: ReturnType<typeof modelRefOf> }>();
  readonly #runs = new RunTree();

  constructor(options: GovernorLangChainOptions) {
    super();
    this.#options = options;
  }

  /** Calls in flight (reserved, not yet settled). */
  get pending(): number {
    return this.#open.size;
  }

  /** LangChain runs being tracked for run mapping (0 once every invocation has ended). */
  get tracked(): number {
    return this.#runs.size;
  }

  override handleChainStart(_c: Serialized, _i: unknown, runId: string, parentRunId?: string): void {
    this.#runs.start(runId, parentRunId);
  }
  override handleChainEnd(_o: unknown, runId: string): void {
    this.#runs.end(runId);
  }
  override handleChainError(_e: unknown, runId: string): void {
    this.#runs.end(runId);
  }

  override async handleChatModelStart(
    _llm: Serialized,
    messages: BaseMessage[][],
    runId: string,
    parentRunId?: string,
    extra?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Meta,
  ): Promise<void> {
    this.#runs.start(runId, parentRunId);
    const { spec, ref } = chatModelSpec(this.#options, messages[0] ?? [], extra, metadata);
    spec.subject = this.#subjectFor(runId, parentRunId);
    this.#open.set(runId, { handle: await this.#begin(runId, spec), ref });
  }

  override async handleLLMEnd(output: LLMResult, runId: string): Promise<void> {
    const open = this.#take(runId);
    if (!open) return;
    const usage = usageOf(output);
    await open.handle.commit(actualOf(this.#options, open.ref, usage), {
      metrics: usage ? { tokensInput: usage.inputTokens, tokensOutput: usage.outputTokens } : {},
    });
  }

  override async handleLLMError(error: unknown, runId: string): Promise<void> {
    await this.#take(runId)?.handle.release(`model call failed: ${messageOf(error)}`);
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
    this.#runs.start(runId, parentRunId);
    const name = runName ?? tool.id.at(-1) ?? 'tool';
    const spec = toolSpec(this.#options, name, parseArgs(input), this.#subjectFor(runId, parentRunId));
    if (!spec) return;
    const handle = await this.#begin(runId, spec);
    try {
      assertToolAllowed(handle.grant, name);
    } catch (denial) {
      this.#runs.end(runId);
      await handle.release('tool denied by caps');
      throw denial;
    }
    this.#open.set(runId, { handle, ref: name });
  }

  override async handleToolEnd(_output: unknown, runId: string): Promise<void> {
    const open = this.#take(runId);
    await open?.handle.commit(open.handle.grant.estimate.amount);
  }

  override async handleToolError(error: unknown, runId: string): Promise<void> {
    await this.#take(runId)?.handle.release(`tool failed: ${messageOf(error)}`);
  }

  /** The levels a run adds: options.subject, plus the root LangChain run unless a run is already set. */
  #subjectFor(runId: string, parentRunId: string | undefined): Partial<Subject> {
    const base = this.#options.subject ?? {};
    if (base.run !== undefined || this.#options.governor.subject.run !== undefined) return base;
    return { ...base, run: this.#runs.rootOf(runId, parentRunId) };
  }

  /** Reserve; a denied or failed reservation ends the run's entry (no end callback will come). */
  async #begin(runId: string, spec: CallSpec): Promise<ReservationHandle> {
    try {
      return await this.#options.governor.begin(spec);
    } catch (error) {
      this.#runs.end(runId);
      throw error;
    }
  }

  #take(runId: string) {
    this.#runs.end(runId);
    const open = this.#open.get(runId);
    this.#open.delete(runId);
    return open;
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
