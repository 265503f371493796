import type {
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
  SharedV4ProviderMetadata,
} from '@ai-sdk/provider';
import type { ReservationHandle, StandardMetrics } from '@governor/core';

type Part = LanguageModelV4StreamPart;

export interface StreamSettlement {
  handle: ReservationHandle;
  actualOf(usage: LanguageModelV4Usage): number | 'estimate';
  metricsOf(usage: LanguageModelV4Usage): StandardMetrics;
  metadataOf(metadata: SharedV4ProviderMetadata | undefined): SharedV4ProviderMetadata;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Pass a model stream through, settling its reservation exactly once: commit
 * the `finish` part's usage (before the part reaches the caller); release
 * when the stream throws, ends without a finish, is cancelled or aborted. An
 * `error` part stops the heartbeat and leaves settlement to what follows: a
 * `finish` with usage still commits, the end of the stream releases.
 */
export function governStream(
  source: ReadableStream<Part>,
  s: StreamSettlement,
  signal?: AbortSignal,
): ReadableStream<Part> {
  const reader = source.getReader();
  let settled = false;
  let sawError = false;
  const release = async (reason: string) => {
    signal?.removeEventListener('abort', onAbort);
    if (settled) return;
    settled = true;
    await s.handle.release(reason);
  };
  const onAbort = () => void release('aborted');
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });

  return new ReadableStream<Part>({
    async pull(controller) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (error) {
        await release(`stream failed: ${messageOf(error)}`);
        controller.error(error);
        return;
      }
      if (next.done) {
        await release(sawError ? 'stream ended after an error part' : 'stream ended without a finish part');
        controller.close();
        return;
      }
      const part = next.value;
      if (part.type === 'finish' && !settled) {
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        await s.handle.commit(s.actualOf(part.usage), { metrics: s.metricsOf(part.usage) });
        controller.enqueue({ ...part, providerMetadata: s.metadataOf(part.providerMetadata) });
        return;
      }
      if (part.type === 'error') {
        sawError = true;
        s.handle.dispose();
      }
      controller.enqueue(part);
    },
    async cancel(reason) {
      await release(`stream cancelled${reason === undefined ? '' : `: ${messageOf(reason)}`}`);
      await reader.cancel(reason);
    },
  });
}
