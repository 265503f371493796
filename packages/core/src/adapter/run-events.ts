/**
 * Calls seen as a framework's run events (callbacks that carry a run id and
 * its parent's) rather than as functions to wrap: model runs reserved on
 * start and settled by their delivery, tool runs through the tool guard, and
 * every call charged to the Governor `run` of its root run — or the run an
 * agent chose for it (`adopt`).
 */

import type { TokenUsage } from '../pricing/types.js';
import type { Subject } from '../protocol/types.js';
import { type ToolAdapterOptions, toolGuardFor, withRunLevel } from './adapter-options.js';
import {
  type ModelCallInput,
  type ModelIdentity,
  type ModelPricingOptions,
  planModelCall,
} from './model-call.js';
import { type Delivery, trackDelivery } from './stream.js';
import { startToolCall } from './tool-events.js';

export type RunEventOptions = ToolAdapterOptions<unknown> & ModelPricingOptions;

/** A model run as it starts. */
export interface ModelRunStart extends Pick<ModelCallInput, 'model' | 'prompt' | 'maxOutputTokens'> {
  /** Its output streams to a consumer now: from here on, going idle settles it. */
  streaming: boolean;
}

/** What one model run used: the runs of a call governed elsewhere are reported as these. */
export interface ModelRun {
  model: ModelIdentity;
  usage: TokenUsage | undefined;
}

export class RunEvents {
  readonly #options: RunEventOptions;
  readonly #parents = new Map<string, string | undefined>();
  readonly #adopted = new Map<string, string>();
  readonly #models = new Map<string, Delivery>();
  readonly #inside = new Map<string, { model: ModelIdentity; into: ModelRun[] }>();
  readonly #tools = new Map<string, (error?: unknown) => Promise<void>>();

  constructor(options: RunEventOptions) {
    this.#options = options;
  }

  /** Calls in flight (reserved, not yet settled). */
  get pending(): number {
    return this.#models.size + this.#tools.size;
  }
  /** Runs tracked for run mapping (0 once every run has ended). */
  get tracked(): number {
    return this.#parents.size;
  }

  /** Charge the root run above `runId` as Governor run `run`. */
  adopt(runId: string, run: string): void {
    this.#adopted.set(this.#rootOf(runId), run);
  }

  /** A run started that is not a call itself (a chain), or a call that is governed elsewhere. */
  started(runId: string, parent: string | undefined): void {
    this.#parents.set(runId, parent);
  }
  ended(runId: string): void {
    this.#parents.delete(runId);
    this.#adopted.delete(runId);
  }

  /** Reserve a model run (prompt + max output tokens, priced); rejects with BudgetDeniedError on a DENY. */
  async modelStarted(runId: string, parent: string | undefined, start: ModelRunStart): Promise<void> {
    this.started(runId, parent);
    const { streaming, ...input } = start;
    const plan = planModelCall(this.#options, { ...input, subject: this.subjectOf(runId) });
    try {
      const handle = await this.#options.governor.begin(plan.spec);
      handle.onExpire(() => this.#take(runId));
      const call = { ref: plan.ref, promptTokens: plan.promptTokens, started: streaming };
      this.#models.set(runId, trackDelivery(handle, this.#options, call));
    } catch (error) {
      this.#parents.delete(runId);
      throw error;
    }
  }
  /** A model run inside a call governed elsewhere: not reserved; when it ends, what it used is added to `into`. */
  modelInside(runId: string, parent: string | undefined, model: ModelIdentity, into: ModelRun[]): void {
    this.started(runId, parent);
    this.#inside.set(runId, { model, into });
  }
  /** A chunk of a model run's output. */
  modelDelta(runId: string, text: string): void {
    this.#models.get(runId)?.delta(text);
  }
  /** A model run ended: its reported usage committed (the estimate without one). */
  async modelEnded(runId: string, usage: TokenUsage | undefined): Promise<void> {
    const inside = this.#inside.get(runId);
    inside?.into.push({ model: inside.model, usage });
    await this.#take(runId)?.finish(usage);
  }
  /** A model run failed: what it delivered is charged; one that failed outright is released. */
  async modelFailed(runId: string, error: unknown): Promise<void> {
    await this.#take(runId)?.stop('failed', `model call failed: ${messageOf(error)}`);
  }

  /** Guard a tool run (`args`: its arguments, or them as JSON text); rejects with BudgetDeniedError when it may not run. */
  async toolStarted(runId: string, parent: string | undefined, name: string, args: unknown): Promise<void> {
    this.started(runId, parent);
    const guard = toolGuardFor(this.#options, name, this.subjectOf(runId));
    try {
      this.#tools.set(runId, await startToolCall(guard, { name, args: parseArgs(args) }));
    } catch (denial) {
      this.#parents.delete(runId);
      throw denial;
    }
  }
  /** A tool run ended (with its error, if it failed): charged, since it started. */
  async toolEnded(runId: string, error?: unknown): Promise<void> {
    this.#parents.delete(runId);
    const end = this.#tools.get(runId);
    this.#tools.delete(runId);
    await end?.(error);
  }

  /** The levels a run adds: `subject`, plus its Governor run unless one is already set. */
  subjectOf(runId: string): Partial<Subject> {
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

  /** A model run's delivery, no longer tracked. */
  #take(runId: string): Delivery | undefined {
    const open = this.#models.get(runId);
    this.#parents.delete(runId);
    this.#models.delete(runId);
    this.#inside.delete(runId);
    return open;
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A tool run's input as arguments: JSON text parsed, anything else as it is. */
function parseArgs(input: unknown): unknown {
  try {
    return typeof input === 'string' ? JSON.parse(input) : input;
  } catch {
    return input;
  }
}
