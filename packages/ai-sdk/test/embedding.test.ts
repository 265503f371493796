import { BudgetDeniedError } from '@governor/core';
import { embed, embedMany } from 'ai';
import { MockEmbeddingModelV4 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { governEmbeddingModel } from '../src/index.js';
import { pricing, setup } from './support.js';

const EMBEDDER = { provider: 'openai.embedding', modelId: 'text-embedding-3-small' };
const embedding = (tokens: number | undefined) => ({
  embeddings: [[0.1, 0.2]],
  ...(tokens === undefined ? {} : { usage: { tokens } }),
  warnings: [],
});

describe('governEmbeddingModel', () => {
  it('reserves llm.embedding and commits the reported tokens, priced', async () => {
    const { governor, events, settled } = await setup();
    const mock = new MockEmbeddingModelV4({ ...EMBEDDER, doEmbed: embedding(1_000_000) });
    await embed({ model: governEmbeddingModel(mock, { governor }), value: 'hello world' });
    expect(events[0]).toMatchObject({ type: 'decision', action: { kind: 'llm.embedding' } });
    const cost = pricing.cost(EMBEDDER, { inputTokens: 1_000_000, outputTokens: 0 });
    expect(cost).toBe(2_000_000); // $0.02 per million tokens
    await settled({ USD_MICROCENTS: cost });
  });

  it('one reservation per provider call of embedMany; the estimate without usage', async () => {
    const { governor, events, settled } = await setup();
    const mock = new MockEmbeddingModelV4({
      ...EMBEDDER,
      maxEmbeddingsPerCall: 1,
      doEmbed: embedding(undefined),
    });
    await embedMany({ model: governEmbeddingModel(mock, { governor }), values: ['a', 'b'] });
    const estimates = events.flatMap((e) => (e.type === 'decision' ? [e.estimate.amount] : []));
    expect(estimates).toHaveLength(2);
    await settled({ USD_MICROCENTS: (estimates[0] ?? 0) + (estimates[1] ?? 0) });
  });

  it('DENY: the provider is never called', async () => {
    const { governor, ledger, settled } = await setup();
    await ledger.freeze({ scope: 'tenant:acme/workflow:support/run:r1', unit: 'USD_MICROCENTS' });
    const mock = new MockEmbeddingModelV4({ ...EMBEDDER, doEmbed: embedding(3) });
    const error = await embed({
      model: governEmbeddingModel(mock, { governor }),
      value: 'x',
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetDeniedError);
    expect(mock.doEmbedCalls).toHaveLength(0);
    await settled({ USD_MICROCENTS: 0 });
  });
});
