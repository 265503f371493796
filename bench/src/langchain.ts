/**
 * What the LangChain middleware adds to each model call of a `createAgent`
 * agent: the same agent (a fake chat model that answers at once, reporting
 * itself as OpenAI's gpt-4o-mini with usage), without and with
 * `governorMiddleware`, on MemoryAuthority, in the same run. The difference
 * per model call is the middleware's latency: estimate and price, reserve,
 * caps, commit the priced usage (plus the extra `beforeAgent` node).
 */
import { createGovernor, MemoryAuthority } from '@governor/core';
import { governorMiddleware } from '@governor/langchain';
import { AIMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { FakeChatModel } from '@langchain/core/utils/testing';
import { createAgent } from 'langchain';
import { type OverheadResult, overheadOf } from './governor.js';
import { BENCH_SCOPES, BENCH_SUBJECT, type RunOptions } from './harness.js';
import { interleavedRounds } from './interleaved.js';

export const TARGET_LANGCHAIN_US = 50;

class BenchChatModel extends FakeChatModel {
  override getLsParams(options: this['ParsedCallOptions']) {
    return { ...super.getLsParams(options), ls_provider: 'openai', ls_model_name: 'gpt-4o-mini' };
  }
  override bindTools() {
    return this as never;
  }
  override async _generate(): Promise<ChatResult> {
    const usage_metadata = { input_tokens: 12, output_tokens: 3, total_tokens: 15 };
    return { generations: [{ message: new AIMessage({ content: 'ok', usage_metadata }), text: 'ok' }] };
  }
}

export async function langchainOverhead(options: RunOptions): Promise<OverheadResult> {
  const ledger = new MemoryAuthority();
  for (const scope of BENCH_SCOPES) {
    await ledger.createBudget({ scope, unit: 'USD_MICROCENTS', allocated: 1_000_000_000_000_000 });
  }
  const governor = createGovernor({ authority: ledger, subject: BENCH_SUBJECT });
  const plain = createAgent({ model: new BenchChatModel({}), tools: [] });
  const governed = createAgent({
    model: new BenchChatModel({}),
    tools: [],
    middleware: [governorMiddleware({ governor })],
  });
  const input = { messages: [{ role: 'user', content: 'Say ok.' }] };
  // One model call per invoke: the agent answers at once.
  const call = (agent: { invoke(i: typeof input): Promise<unknown> }) => () => agent.invoke(input);
  const calls = Math.max(200, Math.floor(options.pairsPerRound / 100));
  const rounds = await interleavedRounds(
    { plain: call(plain), governed: call(governed) },
    {
      rounds: options.rounds,
      callsPerRound: calls,
      warmupCalls: Math.max(50, Math.floor(options.warmupPairs / 100)),
    },
  );
  return overheadOf(
    'LangChain createAgent: governorMiddleware vs ungoverned agent, per model call (fake model, memory)',
    rounds.governed,
    rounds.plain,
    calls,
    TARGET_LANGCHAIN_US,
  );
}
