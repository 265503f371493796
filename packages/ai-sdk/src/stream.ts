import type {
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
  SharedV4ProviderMetadata,
} from '@ai-sdk/provider';
import {
  deliveredCost,
  estimateTokens,
  type ModelPricingOptions,
  type ModelRef,
  modelCallCost,
  type ReservationHandle,
  type StandardMetrics,
} from '@governor/core';
import { tokenUsageOf } from './call.js';

type Part = LanguageModelV4StreamPart;

export interface StreamSettlement {
  handle: ReservationHandle;
  options: ModelPricingOptions;
  /** The model that runs, as priced. */
  ref: ModelRef | string;
  /** The prompt's estimated tokens: sent, so charged if the stream stops part-way. */
  promptTokens: number;
  /** The model id to report when the call was downgraded. */
  modelId?: string | undefined;
  metricsOf(usage: LanguageModelV4Usage): StandardMetrics;
  metadataOf(metadata: SharedV4ProviderMetadata | undefined): SharedV4ProviderMetadata;
  signal?: AbortSignal | undefined;
}

/** Output a stream has delivered, by part type: the text a delta carries. */
function deltaOf(part: Part): string | undefined {
  switch (part.type) {
    case 'text-delta':
    case 'reasoning-delta':
      return part.delta;
    case 'tool-input-delta':
      return part.delta;
    case 'tool-call':
      return part.input;
    default:
      return undefined;
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Pass a model stream through, settling its reservation exactly once:
 * - a `finish` part commits its reported usage (before the caller sees it);
 * - an abort, a cancel, a stream that throws or ends without a finish commit
 *   what was delivered — the provider's usage if it reported one, else the
 *   prompt plus the output tokens counted from the deltas so far — and
 *   release the rest;
 * - a consumer that stops pulling (idle) or a stream past its lifetime: the
 *   handle settles the same way, and the provider stream is cancelled.
 */
export function governStream(source: ReadableStream<Part>, s: StreamSettlement): ReadableStream<Part> {
  const reader = source.getReader();
  const { handle, signal } = s;
  let outputTokens = 0;
  let announced = false;
  let sawError = false;
  // Priced only if the stream stops part-way; counting a chunk is cheap.
  handle.progress(() => deliveredCost(s.options, s.ref, s.promptTokens, outputTokens));
  const stop = (reason: 'aborted' | 'failed', detail: string) => {
    signal?.removeEventListener('abort', onAbort);
    return handle.abandon(reason, detail);
  };
  const onAbort = () => void stop('aborted', 'aborted by the caller');
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });

  let controllerRef: ReadableStreamDefaultController<Part> | undefined;
  handle.onExpire((reason) => {
    const why = reason === 'idle' ? 'its consumer stopped reading' : 'it reached its maximum lifetime';
    const error = new Error(`stream abandoned: ${why}; what was delivered is committed`);
    void reader.cancel(error).catch(() => undefined);
    try {
      controllerRef?.error(error);
    } catch {
      // already closed
    }
  });
  handle.touch();

  return new ReadableStream<Part>({
    start(controller) {
      controllerRef = controller;
    },
    async pull(controller) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await handle.track(reader.read());
      } catch (error) {
        await stop(signal?.aborted ? 'aborted' : 'failed', `stream failed: ${messageOf(error)}`);
        controller.error(error);
        return;
      }
      if (next.done) {
        await stop(
          'failed',
          sawError ? 'stream ended after an error part' : 'stream ended without a finish part',
        );
        controller.close();
        return;
      }
      const part = next.value;
      if (s.modelId && !announced) {
        // The call was downgraded: say which model answers (after stream-start, which comes first).
        announced = true;
        if (part.type === 'stream-start') controller.enqueue(part);
        controller.enqueue({ type: 'response-metadata', modelId: s.modelId });
        if (part.type === 'stream-start') return;
      }
      const delta = deltaOf(part);
      if (delta) {
        outputTokens += estimateTokens(delta);
        handle.touch();
      }
      if (part.type === 'finish' && handle.state === 'open') {
        signal?.removeEventListener('abort', onAbort);
        const actual = modelCallCost(s.options, s.ref, tokenUsageOf(part.usage));
        await handle.commit(actual, { metrics: s.metricsOf(part.usage) });
        controller.enqueue({ ...part, providerMetadata: s.metadataOf(part.providerMetadata) });
        return;
      }
      if (part.type === 'response-metadata' && s.modelId && !part.modelId) {
        controller.enqueue({ ...part, modelId: s.modelId });
        return;
      }
      if (part.type === 'error') sawError = true;
      controller.enqueue(part);
    },
    async cancel(reason) {
      await stop('aborted', `stream cancelled${reason === undefined ? '' : `: ${messageOf(reason)}`}`);
      await reader.cancel(reason);
    },
  });
}
