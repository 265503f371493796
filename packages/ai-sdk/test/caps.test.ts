import type { LanguageModelV4CallOptions } from '@ai-sdk/provider';
import { BudgetDeniedError } from '@governor/core';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import { convertArrayToReadableStream, MockLanguageModelV4 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { type AppliedCaps, governModel } from '../src/index.js';
import { CHEAP, costOf, MODEL, setup, textParts, textResult, usage } from './support.js';

const RUN_BUDGET = 10_000_000;
const noop = tool({
  inputSchema: jsonSchema<{ to?: string }>({ type: 'object' }),
  execute: async () => 'ok',
});
const tools = { send_email: noop, lookup_order: noop };

/** A run at 60 % of its dollar budget, with a tier that caps tokens and denies send_email from 50 %. */
async function nearlySpent() {
  const env = await setup({ usd: RUN_BUDGET });
  await env.ledger.setDegradationPolicy({
    tiers: [{ atPercent: 50, caps: { maxTokens: 64, toolDenylist: ['send_email'] } }],
  });
  const prior = RUN_BUDGET * 0.6;
  await env.governor.run(
    {
      action: { kind: 'llm.completion', name: 'earlier' },
      estimate: { unit: 'USD_MICROCENTS', amount: prior },
    },
    () => ({ value: null, actual: prior }),
  );
  return { ...env, prior };
}

const toolNames = (call: LanguageModelV4CallOptions | undefined) => call?.tools?.map((t) => t.name);

describe('ALLOW_WITH_CAPS', () => {
  it('lowers maxOutputTokens, drops denied tools and switches to the cheaper model', async () => {
    const { governor, settled, prior } = await nearlySpent();
    const main = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('main', usage(1, 1)) });
    const cheap = new MockLanguageModelV4({ ...CHEAP, doGenerate: textResult('cheap', usage(500, 60)) });
    const applied: AppliedCaps[] = [];
    const model = governModel(main, { governor, downgrade: cheap, onApplied: (a) => void applied.push(a) });
    const result = await generateText({ model, prompt: 'x', tools, maxOutputTokens: 1_000 });
    expect(result.text).toBe('cheap');
    expect(main.doGenerateCalls).toHaveLength(0);
    expect(cheap.doGenerateCalls[0]?.maxOutputTokens).toBe(64);
    expect(toolNames(cheap.doGenerateCalls[0])).toEqual(['lookup_order']);
    const expected = {
      decision: 'ALLOW_WITH_CAPS',
      maxOutputTokens: 64,
      downgradedTo: 'gpt-4.1-nano',
      droppedTools: ['send_email'],
    };
    expect(applied).toEqual([expect.objectContaining(expected)]);
    expect(result.providerMetadata?.governor).toMatchObject(expected);
    await settled({ USD_MICROCENTS: prior + costOf(CHEAP, 500, 60) });
  });

  it('downgrade as a function of the requested { provider, modelId }; keeps a smaller maxOutputTokens', async () => {
    const { governor, settled, prior } = await nearlySpent();
    const main = new MockLanguageModelV4({ ...MODEL });
    const cheap = new MockLanguageModelV4({
      ...CHEAP,
      doStream: { stream: convertArrayToReadableStream(textParts('short', usage(100, 3))) },
    });
    const model = governModel(main, {
      governor,
      downgrade: ({ modelId }) => (modelId === 'gpt-4o-mini' ? cheap : undefined),
    });
    const result = streamText({ model, prompt: 'x', maxOutputTokens: 10 });
    expect(await result.text).toBe('short');
    expect(cheap.doStreamCalls[0]?.maxOutputTokens).toBe(10);
    expect((await result.providerMetadata)?.governor).toMatchObject({ downgradedTo: 'gpt-4.1-nano' });
    await settled({ USD_MICROCENTS: prior + costOf(CHEAP, 100, 3) });
  });

  it('without a downgrade the same model runs with the caps applied', async () => {
    const { governor, settled, prior } = await nearlySpent();
    const main = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('capped', usage(50, 64)) });
    await generateText({ model: governModel(main, { governor }), prompt: 'x', tools, maxOutputTokens: 500 });
    expect(main.doGenerateCalls[0]?.maxOutputTokens).toBe(64);
    expect(toolNames(main.doGenerateCalls[0])).toEqual(['lookup_order']);
    await settled({ USD_MICROCENTS: prior + costOf(MODEL, 50, 64) });
  });

  it('a call that forces a denied tool is denied before the provider', async () => {
    const { governor, settled, prior } = await nearlySpent();
    const main = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('never', usage(1, 1)) });
    const error = await generateText({
      model: governModel(main, { governor }),
      prompt: 'x',
      tools,
      toolChoice: { type: 'tool', toolName: 'send_email' },
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetDeniedError);
    expect(error).toMatchObject({ reasonCode: 'TOOL_DENIED_BY_CAPS' });
    expect(main.doGenerateCalls).toHaveLength(0);
    await settled({ USD_MICROCENTS: prior });
  });

  it('observe mode reports the caps but does not apply them', async () => {
    const { governor: _, ledger, prior } = await nearlySpent();
    const { createGovernor } = await import('@governor/core');
    const observer = createGovernor({
      authority: ledger,
      subject: { tenant: 'acme', workflow: 'support', run: 'r1' },
      mode: 'observe',
    });
    const main = new MockLanguageModelV4({ ...MODEL, doGenerate: textResult('free', usage(10, 5)) });
    const cheap = new MockLanguageModelV4({ ...CHEAP });
    const result = await generateText({
      model: governModel(main, { governor: observer, downgrade: cheap }),
      prompt: 'x',
      maxOutputTokens: 1_000,
    });
    expect(main.doGenerateCalls[0]?.maxOutputTokens).toBe(1_000);
    expect(result.providerMetadata?.governor).toMatchObject({ decision: 'ALLOW_WITH_CAPS', enforced: false });
    expect(result.providerMetadata?.governor).not.toHaveProperty('downgradedTo');
    const run = await ledger.getBudget({
      scope: 'tenant:acme/workflow:support/run:r1',
      unit: 'USD_MICROCENTS',
    });
    expect(run).toMatchObject({ spent: prior + costOf(MODEL, 10, 5), reserved: 0 });
  });
});
