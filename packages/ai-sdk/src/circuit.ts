import type {
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  LanguageModelV4Usage,
} from '@ai-sdk/provider';
import { circuitOpenMessage } from '@governor/core';

const NO_USAGE: LanguageModelV4Usage = {
  inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 0, text: 0, reasoning: 0 },
};

const finishReason = { unified: 'stop', raw: 'governor-circuit-open' } as const;
const metadata = (denials: number) => ({ governor: { circuitOpen: true, consecutiveDenials: denials } });

/** The answer a model call gets instead of running once the circuit is open: a final message, nothing charged. */
export function stoppedResult(denials: number): LanguageModelV4GenerateResult {
  return {
    content: [{ type: 'text', text: circuitOpenMessage(denials) }],
    finishReason,
    usage: NO_USAGE,
    warnings: [],
    providerMetadata: metadata(denials),
  };
}

export function stoppedStream(denials: number): LanguageModelV4StreamResult {
  return {
    stream: ReadableStream.from<LanguageModelV4StreamPart>([
      { type: 'stream-start', warnings: [] },
      { type: 'text-start', id: 'governor' },
      { type: 'text-delta', id: 'governor', delta: circuitOpenMessage(denials) },
      { type: 'text-end', id: 'governor' },
      { type: 'finish', finishReason, usage: NO_USAGE, providerMetadata: metadata(denials) },
    ]),
  };
}
