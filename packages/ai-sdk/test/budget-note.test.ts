/**
 * The model sees its budget: with `budgetNote`, every model call of a tool
 * loop gets a system note of what the run has left (the figures as the
 * ledger stands before that call); without it the prompt is untouched and
 * the call costs exactly what the plain call costs.
 */
import { generateText, stepCountIs, tool } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { governModel } from '../src/index.js';
import { costOf, MODEL, setup, textResult, toolCallResult, usage } from './support.js';

type Prompt = { role: string; content: unknown }[];

function recording(results: ReturnType<typeof textResult>[]) {
  const prompts: Prompt[] = [];
  const mock = new MockLanguageModelV4({
    ...MODEL,
    doGenerate: async (options) => {
      prompts.push(options.prompt as Prompt);
      return results[prompts.length - 1] ?? (results.at(-1) as ReturnType<typeof textResult>);
    },
  });
  return { mock, prompts };
}

const notes = (prompts: Prompt[]) =>
  prompts.map((p) => p.filter((m) => m.role === 'system').map((m) => m.content as string));

describe('budgetNote', () => {
  it('tells the model, before each step, what the run and the tenant have left', async () => {
    const { governor, ledger } = await setup({ usd: 10_000_000, riskPoints: 10 });
    const { mock, prompts } = recording([
      toolCallResult('lookup', { q: 'a' }, usage(100, 20)),
      textResult('done', usage(150, 10)),
    ]);
    await generateText({
      model: governModel(mock, { governor, budgetNote: true }),
      system: 'You are terse.',
      prompt: 'Look it up',
      tools: { lookup: tool({ inputSchema: z.object({ q: z.string() }), execute: async () => 'found' }) },
      stopWhen: stepCountIs(3),
    });
    const first = costOf(MODEL, 100, 20);
    const [step1, step2] = notes(prompts);
    expect(step1).toEqual([
      'You are terse.',
      'Budget left: $0.10 of $0.10 for run r1; 10 of 10 risk points for run r1. Calls past it are denied: finish the task within it.',
    ]);
    const left = (10_000_000 - first) / 100_000_000;
    expect(step2?.[1]).toBe(
      `Budget left: $${left.toFixed(4)} of $0.10 for run r1; 10 of 10 risk points for run r1. Calls past it are denied: finish the task within it.`,
    );
    expect(
      (await ledger.getBudget({ scope: 'tenant:acme/workflow:support/run:r1', unit: 'USD_MICROCENTS' }))
        ?.reserved,
    ).toBe(0);
  });

  it('a function gives the note its own text from the budgets left', async () => {
    const { governor } = await setup();
    const { mock, prompts } = recording([textResult('ok', usage(10, 2))]);
    await generateText({
      model: governModel(mock, {
        governor,
        budgetNote: (left) => `left: ${left.map((b) => `${b.scope}=${b.remaining.amount}`).join(', ')}`,
      }),
      prompt: 'Hi',
    });
    expect(notes(prompts)[0]).toEqual([
      'left: tenant:acme=100000000, tenant:acme/workflow:support/run:r1=10000000',
    ]);
  });

  it('off (the default): the prompt is untouched and the call costs what the plain call costs', async () => {
    const plain = await setup();
    const off = recording([textResult('ok', usage(10, 2))]);
    await generateText({ model: governModel(off.mock, { governor: plain.governor }), prompt: 'Hi' });
    expect(notes(off.prompts)).toEqual([[]]);
    const on = await setup();
    const noted = recording([textResult('ok', usage(10, 2))]);
    await generateText({
      model: governModel(noted.mock, { governor: on.governor, budgetNote: true }),
      prompt: 'Hi',
    });
    // The same usage is charged either way (the provider reports it); only the prompt differs.
    const spent = async (s: typeof plain) => (await s.budget()).spent;
    expect(await spent(plain)).toBe(costOf(MODEL, 10, 2));
    expect(await spent(on)).toBe(await spent(plain));
    expect(notes(noted.prompts)[0]).toHaveLength(1);
  });
});
