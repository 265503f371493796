/**
 * A streamed model call settled the same way in every adapter, exactly once:
 * the output counted as it is delivered, the reported usage committed when it
 * finishes, and an abort, a failure, a stream that ends without a finish, a
 * consumer that stops reading or a stream past its lifetime committing what
 * was delivered (the prompt, plus the output counted so far) and releasing
 * the rest. `trackDelivery` takes a framework's events (LangChain callbacks);
 * `settleStream` passes a stream through it (AI SDK parts).
 */
import type { Governor } from '../governor/governor.js';
import type { Grant, ReservationHandle } from '../governor/handle.js';
import { estimateTokens } from '../pricing/tokens.js';
import type { ModelRef, TokenUsage } from '../pricing/types.js';
import type { StandardMetrics } from '../protocol/types.js';
import {
  deliveredCost,
  type ModelCallPlan,
  type ModelIdentity,
  type ModelPricingOptions,
  modelCallCost,
  modelRefOf,
} from './model-call.js';

export interface DeliveredCall {
  /** The model that runs, as priced. */
  ref: ModelRef | string;
  /** The prompt's estimated tokens: sent, so charged if the call stops part-way. */
  promptTokens: number;
  /** The caller's abort signal: an abort commits what was delivered. */
  signal?: AbortSignal | undefined;
  /**
   * Whether the output is on its way now (default true): from then on, going
   * idle or stopping commits what was delivered. Otherwise from the first delta.
   */
  started?: boolean | undefined;
  /** The `modelVersion` metric of the commit. */
  modelVersion?: string | undefined;
}

/** One streamed call's settlement: the events a framework reports, in core's terms. */
export interface Delivery {
  readonly handle: ReservationHandle;
  /** Output delivered (a chunk of text): its tokens counted, the consumer active. */
  delta(text: string): void;
  /** The call finished: commit its reported usage (the estimate without one); false when already settled. */
  finish(usage: TokenUsage | undefined): Promise<boolean>;
  /** The call stopped part-way: commit what was delivered, release the rest — all of it when none was under way. */
  stop(reason: 'aborted' | 'failed', detail: string): Promise<void>;
}

/** A call's standard metrics: its reported token counts and the model that ran. */
export function usageMetrics(usage: TokenUsage | undefined, modelVersion?: string): StandardMetrics {
  return {
    ...(usage ? { tokensInput: usage.inputTokens, tokensOutput: usage.outputTokens } : {}),
    ...(modelVersion === undefined ? {} : { modelVersion }),
  };
}

/** Count what `handle`'s call delivers and settle it on finish, abort or failure (see `Delivery`). */
export function trackDelivery(
  handle: ReservationHandle,
  options: ModelPricingOptions,
  call: DeliveredCall,
): Delivery {
  let outputTokens = 0;
  let started = false;
  const start = () => {
    started = true;
    // Priced only if the call stops part-way; counting a chunk is cheap.
    handle.progress(() => deliveredCost(options, call.ref, call.promptTokens, outputTokens));
  };
  const detach = () => call.signal?.removeEventListener('abort', onAbort);
  const stop = (reason: 'aborted' | 'failed', detail: string) => {
    detach();
    return started ? handle.abandon(reason, detail) : handle.release(detail);
  };
  const onAbort = () => void stop('aborted', 'aborted by the caller');
  if (call.started ?? true) start();
  if (call.signal?.aborted) onAbort();
  else call.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    handle,
    delta(text) {
      if (text) outputTokens += estimateTokens(text);
      if (started) handle.touch();
      else start();
    },
    async finish(usage) {
      detach();
      if (handle.state !== 'open') return false;
      const actual = modelCallCost(options, call.ref, usage);
      await handle.commit(actual, { metrics: usageMetrics(usage, call.modelVersion) });
      return true;
    },
    stop,
  };
}

/** What `settleStream` needs to know of a framework's stream parts. */
export interface StreamHooks<P> {
  /** The output text a part carries, if any. */
  deltaOf(part: P): string | undefined;
  /** A finish part's reported usage (`{ usage: undefined }` when it reports none); undefined for other parts. */
  finishOf(part: P): { usage: TokenUsage | undefined } | undefined;
  /** Whether a part reports an error (a stream that then ends is said to have ended after it). */
  isError?(part: P): boolean;
  /** The parts the consumer gets for `part` (default: itself); `settled`: its usage was just committed. */
  map?(part: P, settled: boolean): P[];
}

type Reader<P> = {
  read(): Promise<{ done: true; value?: unknown } | { done: false; value: P }>;
  cancel(reason?: unknown): Promise<void>;
};

function readerOf<P>(source: ReadableStream<P> | AsyncIterable<P>): Reader<P> {
  if ('getReader' in source) return source.getReader() as Reader<P>;
  const iterator = source[Symbol.asyncIterator]();
  return {
    read: () => iterator.next() as ReturnType<Reader<P>['read']>,
    cancel: async () => void (await iterator.return?.()),
  };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** What `streamModelCall`'s `start` returns: the framework's stream result, the model that runs, its parts' hooks. */
export interface StartedStream<P, R extends { stream: ReadableStream<P> }> {
  result: R;
  model: ModelIdentity;
  hooks: StreamHooks<P>;
}

/**
 * A streamed model call, reserved (`plan`), started and settled: `start`
 * runs under the grant (a start that throws ran nothing: released,
 * rethrown); its stream comes back through `settleStream`, priced as the
 * model it reports, aborted with the plan's signal.
 */
export async function streamModelCall<P, R extends { stream: ReadableStream<P> }>(
  options: ModelPricingOptions & { governor: Governor },
  plan: ModelCallPlan,
  start: (grant: Grant) => Promise<StartedStream<P, R>>,
): Promise<R> {
  const handle = await options.governor.begin(plan.spec);
  let started: StartedStream<P, R>;
  try {
    started = await start(handle.grant);
  } catch (error) {
    await handle.release(`stream did not start: ${messageOf(error)}`);
    throw error;
  }
  const { result, model, hooks } = started;
  const ref = modelRefOf(options, model);
  const call = { ...plan, ref, signal: plan.spec.signal, modelVersion: model.modelId };
  return { ...result, stream: settleStream(result.stream, trackDelivery(handle, options, call), hooks) };
}

/**
 * `source` passed through, its call settled by `delivery` exactly once: a
 * finish part commits its reported usage before the consumer sees it; a
 * cancel, a source that throws or ends without a finish commits what was
 * delivered; when the handle expires (the consumer stopped reading, or the
 * stream reached its lifetime) the source is cancelled and the stream errors.
 */
export function settleStream<P>(
  source: ReadableStream<P> | AsyncIterable<P>,
  delivery: Delivery,
  hooks: StreamHooks<P>,
): ReadableStream<P> {
  const reader = readerOf(source);
  const { handle } = delivery;
  let sawError = false;
  let out: ReadableStreamDefaultController<P> | undefined;
  handle.onExpire((reason) => {
    const why = reason === 'idle' ? 'its consumer stopped reading' : 'it reached its maximum lifetime';
    const error = new Error(`stream abandoned: ${why}; what was delivered is committed`);
    void reader.cancel(error).catch(() => undefined);
    try {
      out?.error(error);
    } catch {
      // already closed
    }
  });
  handle.touch();
  return new ReadableStream<P>({
    start(controller) {
      out = controller;
    },
    async pull(controller) {
      for (;;) {
        let next: Awaited<ReturnType<Reader<P>['read']>>;
        try {
          next = await handle.track(reader.read());
        } catch (error) {
          await delivery.stop('failed', `stream failed: ${messageOf(error)}`);
          return controller.error(error);
        }
        if (next.done) {
          const how = sawError ? 'after an error part' : 'without a finish part';
          await delivery.stop('failed', `stream ended ${how}`);
          return controller.close();
        }
        const part = next.value;
        const text = hooks.deltaOf(part);
        if (text) delivery.delta(text);
        const finish = hooks.finishOf(part);
        const settled = finish !== undefined && (await delivery.finish(finish.usage));
        if (hooks.isError?.(part)) sawError = true;
        const parts = hooks.map ? hooks.map(part, settled) : [part];
        for (const each of parts) controller.enqueue(each);
        if (parts.length) return; // else read on: a pull must deliver or end
      }
    },
    async cancel(reason) {
      await delivery.stop(
        'aborted',
        `stream cancelled${reason === undefined ? '' : `: ${messageOf(reason)}`}`,
      );
      await reader.cancel(reason);
    },
  });
}
