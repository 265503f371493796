/**
 * The Governor's overhead per step of a long tool loop, at step 10 and at
 * step 1,000: the same mock model called with the prompt of that step —
 * built anew each call from the same strings, as the AI SDK does — plain and
 * through `governModel`. The two figures should be equal within noise (the
 * estimate counts only a step's new messages).
 */
import { governModel } from '@governor/ai-sdk';
import { createGovernor, MemoryAuthority } from '@governor/core';
import { type OverheadResult, overheadOf } from './governor.js';
import { BENCH_SCOPES, BENCH_SUBJECT, type RunOptions } from './harness.js';
import { interleavedRounds } from './interleaved.js';

type LanguageModelV4 = Parameters<typeof governModel>[0];
type LanguageModelV4Prompt = Parameters<LanguageModelV4['doGenerate']>[0]['prompt'];

const usage = {
  inputTokens: { total: 12, noCache: 12, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 3, text: 3, reasoning: 0 },
};
/** A model that answers at once and keeps nothing (MockLanguageModelV4 keeps every call, which a long run would measure instead). */
const mockModel = (): LanguageModelV4 => ({
  specificationVersion: 'v4',
  provider: 'openai.chat',
  modelId: 'gpt-4o-mini',
  supportedUrls: {},
  doGenerate: async () => ({
    content: [{ type: 'text', text: 'ok' }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage,
    warnings: [],
  }),
  doStream: async () => {
    throw new Error('not used');
  },
});

const SYSTEM = 'You are a support agent. Look orders up before you answer.';
const results = Array.from(
  { length: 1_000 },
  (_, i) => `order ${i}: shipped on day ${i % 28}, tracking ${'x'.repeat(40)}`,
);

/** The prompt of step `n`: system, user, then n tool calls and their results — new objects, same strings. */
function promptAt(n: number): LanguageModelV4Prompt {
  const prompt: LanguageModelV4Prompt = [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: [{ type: 'text', text: 'Where are my orders?' }] },
  ];
  for (let i = 0; i < n; i++) {
    prompt.push({
      role: 'assistant',
      content: [{ type: 'tool-call', toolCallId: `c${i}`, toolName: 'lookup', input: { id: i } }],
    });
    prompt.push({
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: `c${i}`,
          toolName: 'lookup',
          output: { type: 'text', value: results[i] as string },
        },
      ],
    });
  }
  return prompt;
}

async function overheadAt(step: number, options: RunOptions): Promise<OverheadResult> {
  const ledger = new MemoryAuthority();
  for (const scope of BENCH_SCOPES) {
    await ledger.createBudget({ scope, unit: 'USD_MICROCENTS', allocated: 1_000_000_000_000_000 });
  }
  const governor = createGovernor({ authority: ledger, subject: BENCH_SUBJECT });
  const plain = mockModel();
  const governed = governModel(mockModel(), { governor });
  const call = (model: LanguageModelV4) => () =>
    model.doGenerate({ prompt: promptAt(step), maxOutputTokens: 16 });
  const calls = Math.max(200, Math.floor(options.pairsPerRound / 25));
  const rounds = await interleavedRounds(
    { plain: call(plain), governed: call(governed) },
    { rounds: options.rounds, callsPerRound: calls, warmupCalls: Math.floor(calls / 2) },
  );
  const name = `AI SDK tool loop, step ${step}: governModel vs plain (same prompt)`;
  return overheadOf(name, rounds.governed, rounds.plain, calls, 25);
}

/** Step 10 and step 1,000; their ratio is printed by the caller. */
export async function aiSdkLoopOverhead(options: RunOptions): Promise<OverheadResult[]> {
  return [await overheadAt(10, options), await overheadAt(1_000, options)];
}
