/**
 * What the LangChain middleware adds to each model call of a `createAgent`
 * agent: the same agent (a fake chat model that answers at once, reporting
 * itself as OpenAI's gpt-4o-mini with usage), without and with
 * `governorMiddleware`, on MemoryAuthority, in the same run. The difference
 * per model call is the middleware's latency: estimate and price, reserve,
 * caps, commit the priced usage (plus the extra `beforeAgent` node), printed
 * with its two parts: the agent's shape and Governor's own work.
 */
import { createGovernor, MemoryAuthority } from '@governor/core';
import { governorMiddleware } from '@governor/langchain';
import { AIMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { FakeChatModel } from '@langchain/core/utils/testing';
import { type AgentMiddleware, createAgent, createMiddleware } from 'langchain';
import { type OverheadResult, overheadOf } from './governor.js';
import { BENCH_SCOPES, BENCH_SUBJECT, type RunOptions } from './harness.js';
import { instantAuthority } from './instant-authority.js';
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

/**
 * A middleware of the same shape as `governorMiddleware` that does nothing:
 * its `beforeAgent` hook (an extra graph node) and its state field, no Governor.
 */
function sameShape(middleware: ReturnType<typeof governorMiddleware>) {
  return createMiddleware({
    name: 'SameShapeNoop',
    stateSchema: middleware.stateSchema,
    beforeAgent: () => ({ governorRunId: 'bench' }),
    wrapModelCall: (request, handler) => handler(request),
  });
}

/**
 * The governed agent against the plain one, then its parts: the agent's shape
 * (a no-op middleware with the same hook and state) over the plain agent, and
 * Governor's own work (the middleware on an authority that answers at once)
 * over that shape. Each round times every agent in turn.
 */
export async function langchainOverhead(options: RunOptions): Promise<OverheadResult[]> {
  const ledger = new MemoryAuthority();
  for (const scope of BENCH_SCOPES) {
    await ledger.createBudget({ scope, unit: 'USD_MICROCENTS', allocated: 1_000_000_000_000_000 });
  }
  const governed = governorMiddleware({
    governor: createGovernor({ authority: ledger, subject: BENCH_SUBJECT }),
  });
  const instant = governorMiddleware({
    governor: createGovernor({ authority: instantAuthority(), subject: BENCH_SUBJECT }),
  });
  const agent = (middleware: AgentMiddleware[]) =>
    createAgent({ model: new BenchChatModel({}), tools: [], middleware });
  const input = { messages: [{ role: 'user', content: 'Say ok.' }] };
  // One model call per invoke: the agent answers at once.
  const call = (middleware: AgentMiddleware[]) => {
    const built = agent(middleware);
    return () => built.invoke(input);
  };
  const calls = Math.max(200, Math.floor(options.pairsPerRound / 100));
  const rounds = await interleavedRounds(
    {
      plain: call([]),
      governed: call([governed]),
      shape: call([sameShape(governed)]),
      instant: call([instant]),
    },
    {
      rounds: options.rounds,
      callsPerRound: calls,
      warmupCalls: Math.max(50, Math.floor(options.warmupPairs / 100)),
    },
  );
  return [
    overheadOf(
      'LangChain createAgent: governorMiddleware vs ungoverned agent, per model call (fake model, memory)',
      rounds.governed,
      rounds.plain,
      calls,
      TARGET_LANGCHAIN_US,
    ),
    overheadOf(
      "  of which the agent's shape: a no-op middleware with the same beforeAgent hook and state field (no Governor)",
      rounds.shape,
      rounds.plain,
      calls,
    ),
    overheadOf(
      "  of which Governor's own work: governorMiddleware on an authority that answers at once, over that shape",
      rounds.instant,
      rounds.shape,
      calls,
    ),
  ];
}
