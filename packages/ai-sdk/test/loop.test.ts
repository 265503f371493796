import { BudgetDeniedError } from '@governor/core';
import { generateText, isStepCount, jsonSchema, type PrepareStepFunction, tool } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { budgetExhausted, governModel, governPrepareStep } from '../src/index.js';
import { costOf, MODEL, setup, textResult, toolCallResult, usage } from './support.js';

const lookup = tool({ inputSchema: jsonSchema<object>({ type: 'object' }), execute: async () => 'found' });
const send_email = tool({ inputSchema: jsonSchema<object>({ type: 'object' }), execute: async () => 'sent' });

/** Calls `lookup` while it has tools, answers when it has none. */
const looping = (u = usage(100, 20)) =>
  new MockLanguageModelV4({
    ...MODEL,
    doGenerate: async (call) =>
      call.tools?.length ? toolCallResult('lookup', {}, u) : textResult('done', u),
  });

describe('budgetExhausted (stopWhen)', () => {
  const BIG = usage(100, 9_000); // ≈ $0.0054 a step, with 10,000 output tokens reserved (≈ $0.006)

  it('stops the loop when the run can no longer afford a step, before any DENY', async () => {
    const { governor, settled } = await setup({ usd: 2_000_000 });
    const result = await generateText({
      model: governModel(looping(BIG), { governor }),
      tools: { lookup },
      prompt: 'x',
      maxOutputTokens: 10_000,
      stopWhen: [budgetExhausted({ governor }), isStepCount(20)],
    });
    expect(result.steps).toHaveLength(3);
    await settled({ USD_MICROCENTS: 3 * costOf(MODEL, 100, 9_000) });
  });

  it('without it the fourth step is denied', async () => {
    const { governor, settled } = await setup({ usd: 2_000_000 });
    const error = await generateText({
      model: governModel(looping(BIG), { governor }),
      tools: { lookup },
      prompt: 'x',
      maxOutputTokens: 10_000,
      maxRetries: 0,
      stopWhen: isStepCount(20),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetDeniedError);
    await settled({ USD_MICROCENTS: 3 * costOf(MODEL, 100, 9_000) });
  });
});

describe('governPrepareStep', () => {
  async function atPercent(percent: number) {
    const env = await setup({ usd: 1_000_000 });
    await env.ledger.setDegradationPolicy({
      tiers: [
        { atPercent: 50, caps: { toolDenylist: ['send_email'] } },
        { atPercent: 80, caps: { maxStepsRemaining: 1 } },
      ],
    });
    const prior = percent * 10_000;
    await env.governor.run(
      {
        action: { kind: 'llm.completion', name: 'earlier' },
        estimate: { unit: 'USD_MICROCENTS', amount: prior },
      },
      () => ({ value: null, actual: prior }),
    );
    return { ...env, prior };
  }
  const stepOptions = { steps: [], stepNumber: 0 } as unknown as Parameters<PrepareStepFunction<never>>[0];

  it('turns the caps’ tool denylist into activeTools', async () => {
    const { governor } = await atPercent(60);
    const prepare = governPrepareStep({ governor, tools: { lookup, send_email } });
    expect(await prepare(stepOptions)).toEqual({ activeTools: ['lookup'] });
  });

  it('keeps the caller’s own prepareStep result and narrows it', async () => {
    const { governor } = await atPercent(60);
    const prepare = governPrepareStep({
      governor,
      tools: { lookup, send_email },
      prepareStep: () => ({ activeTools: ['send_email'], temperature: 0 }),
    });
    expect(await prepare(stepOptions)).toEqual({ activeTools: [], temperature: 0 });
  });

  it('returns nothing to change below every tier', async () => {
    const { governor } = await atPercent(10);
    const prepare = governPrepareStep({ governor, tools: { lookup, send_email } });
    expect(await prepare(stepOptions)).toBeUndefined();
  });

  it('max_steps_remaining 1: the step runs without tools, so the loop ends with an answer', async () => {
    const { governor, settled, prior } = await atPercent(85);
    const model = looping();
    const result = await generateText({
      model: governModel(model, { governor }),
      tools: { lookup, send_email },
      prompt: 'x',
      maxOutputTokens: 100,
      stopWhen: isStepCount(10),
      prepareStep: governPrepareStep({ governor, tools: { lookup, send_email } }),
    });
    expect(result.text).toBe('done');
    expect(result.steps).toHaveLength(1);
    expect(model.doGenerateCalls[0]?.toolChoice).toEqual({ type: 'none' });
    await settled({ USD_MICROCENTS: prior + costOf(MODEL, 100, 20) });
  });
});
