/**
 * What the AI SDK middleware adds to one `generateText` call: the same mock
 * model (one that answers at once and, unlike `MockLanguageModelV4`, keeps
 * no record of its calls), plain and wrapped by `governModel`, on
 * MemoryAuthority. The difference per call is the middleware's latency:
 * estimate and price, reserve, apply caps, commit the priced usage. Beside
 * it, in the same rounds, the same with an authority that answers at once:
 * the middleware's own part, without the ledger's.
 */
import { governModel } from '@governor/ai-sdk';
import { createGovernor, MemoryAuthority } from '@governor/core';
import { generateText } from 'ai';
import { type OverheadResult, overheadOf } from './governor.js';
import { BENCH_SCOPES, BENCH_SUBJECT, type RunOptions } from './harness.js';
import { instantAuthority } from './instant-authority.js';
import { interleavedRounds } from './interleaved.js';

export const TARGET_AI_SDK_US = 25;

type Model = Parameters<typeof generateText>[0]['model'];
type LanguageModelV4 = Parameters<typeof governModel>[0];

const mockModel = (): LanguageModelV4 => ({
  specificationVersion: 'v4',
  provider: 'openai.chat',
  modelId: 'gpt-4o-mini',
  supportedUrls: {},
  doGenerate: async () => ({
    content: [{ type: 'text', text: 'ok' }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: {
      inputTokens: { total: 12, noCache: 12, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: 3, text: 3, reasoning: 0 },
    },
    warnings: [],
  }),
  doStream: async () => {
    throw new Error('not used');
  },
});

export async function aiSdkOverhead(options: RunOptions): Promise<OverheadResult[]> {
  const ledger = new MemoryAuthority();
  for (const scope of BENCH_SCOPES) {
    await ledger.createBudget({ scope, unit: 'USD_MICROCENTS', allocated: 1_000_000_000_000_000 });
  }
  const governor = createGovernor({ authority: ledger, subject: BENCH_SUBJECT });
  const plain = mockModel();
  const governed = governModel(mockModel(), { governor });
  const instant = createGovernor({ authority: instantAuthority(), subject: BENCH_SUBJECT });
  const middlewareOnly = governModel(mockModel(), { governor: instant });
  const call = (model: Model) => () => generateText({ model, prompt: 'Say ok.', maxOutputTokens: 16 });
  const calls = Math.max(1_000, Math.floor(options.pairsPerRound / 5));
  const rounds = await interleavedRounds(
    { plain: call(plain), governed: call(governed), middlewareOnly: call(middlewareOnly) },
    { rounds: options.rounds, callsPerRound: calls, warmupCalls: Math.floor(options.warmupPairs / 5) },
  );
  return [
    overheadOf(
      'AI SDK generateText: governModel vs plain (mock model, memory)',
      rounds.governed,
      rounds.plain,
      calls,
      TARGET_AI_SDK_US,
    ),
    overheadOf(
      '  of which the middleware and lifecycle: governModel on an authority that answers at once',
      rounds.middlewareOnly,
      rounds.plain,
      calls,
    ),
  ];
}
