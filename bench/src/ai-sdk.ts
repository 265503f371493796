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
import type { OverheadResult } from './governor.js';
import { BENCH_SCOPES, BENCH_SUBJECT, type RunOptions } from './harness.js';
import { instantAuthority } from './instant-authority.js';

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
  const time = async (n: number, fn: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    return Number(process.hrtime.bigint() - start) / 1_000 / n;
  };
  const n = Math.max(1_000, Math.floor(options.pairsPerRound / 5));
  for (const model of [governed, middlewareOnly, plain])
    await time(Math.floor(options.warmupPairs / 5), call(model));
  const roundsUs: number[] = [];
  const ownUs: number[] = [];
  let plainUs = 0;
  for (let r = 0; r < options.rounds; r++) {
    plainUs = await time(n, call(plain));
    roundsUs.push((await time(n, call(governed))) - plainUs);
    ownUs.push((await time(n, call(middlewareOnly))) - plainUs);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  return [
    {
      name: 'AI SDK generateText: governModel vs plain (mock model, memory)',
      callsPerRound: n,
      roundsUs,
      medianOverheadUs: median(roundsUs),
      baselineUsPerCall: plainUs,
      targetUs: TARGET_AI_SDK_US,
    },
    {
      name: '  of which the middleware and lifecycle: governModel on an authority that answers at once',
      callsPerRound: n,
      roundsUs: ownUs,
      medianOverheadUs: median(ownUs),
      baselineUsPerCall: plainUs,
    },
  ];
}
