import type { LanguageModelV4StreamPart, SharedV4ProviderMetadata } from '@ai-sdk/provider';
import type { StreamHooks } from '@governor/core';
import { tokenUsageOf } from './call.js';

type Part = LanguageModelV4StreamPart;

/** Output a stream has delivered, by part type: the text a delta carries. */
function deltaOf(part: Part): string | undefined {
  switch (part.type) {
    case 'text-delta':
    case 'reasoning-delta':
    case 'tool-input-delta':
      return part.delta;
    case 'tool-call':
      return part.input;
    default:
      return undefined;
  }
}

/**
 * A model stream's parts for core's `settleStream`: its finish part commits
 * the reported usage (and carries `providerMetadata.governor`, from
 * `metadataOf`); a call downgraded to `modelId` says which model answers, in
 * its response metadata.
 */
export function streamHooks(
  modelId: string | undefined,
  metadataOf: (metadata: SharedV4ProviderMetadata | undefined) => SharedV4ProviderMetadata,
): StreamHooks<Part> {
  let announced = !modelId;
  return {
    deltaOf,
    finishOf: (part) => (part.type === 'finish' ? { usage: tokenUsageOf(part.usage) } : undefined),
    isError: (part) => part.type === 'error',
    map(part, settled): Part[] {
      const out: Part[] =
        part.type === 'finish' && settled
          ? [{ ...part, providerMetadata: metadataOf(part.providerMetadata) }]
          : part.type === 'response-metadata' && modelId && !part.modelId
            ? [{ ...part, modelId }]
            : [part];
      if (announced || !modelId) return out;
      // The call was downgraded: say which model answers (after stream-start, which comes first).
      announced = true;
      const announcement: Part = { type: 'response-metadata', modelId };
      return part.type === 'stream-start' ? [part, announcement] : [announcement, ...out];
    },
  };
}
