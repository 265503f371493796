/**
 * The model sees its budget (createAgent): with `budgetNote`, every model call
 * of the agent gets the note in its system message, with the figures as the
 * ledger stands before that call; without it the messages are untouched.
 */
import { tool } from '@langchain/core/tools';
import { createAgent } from 'langchain';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { governorMiddleware } from '../src/index.js';
import { lastToolOutput, ScriptedChatModel, setup, text, toolCall } from './support.js';

const lookup = tool(async () => 'found', {
  name: 'lookup',
  description: 'Look up',
  schema: z.object({ q: z.string() }),
});
const oneLookup = () =>
  new ScriptedChatModel({
    script: (messages) => (lastToolOutput(messages) ? text('done') : toolCall('lookup', { q: 'a' })),
  });
const systemOf = (model: ScriptedChatModel) =>
  model.calls.map((c) => c.messages.filter((m) => m.type === 'system').map((m) => m.text));

describe('governorMiddleware budgetNote', () => {
  it('adds the note to the system prompt of every model call, with the budgets as they stand', async () => {
    const { governor, budget } = await setup({ riskPoints: 5 });
    const model = oneLookup();
    const agent = createAgent({
      model,
      tools: [lookup],
      systemPrompt: 'You are terse.',
      middleware: [governorMiddleware({ governor, budgetNote: true })],
    });
    await agent.invoke({ messages: [{ role: 'user', content: 'Look it up' }] });
    const [first, second] = systemOf(model);
    expect(first).toEqual([
      'You are terse.\n\nBudget left: $0.10 of $0.10 for run r1; 5 of 5 risk points for run r1. Calls past it are denied: finish the task within it.',
    ]);
    // The second call sees what the first one spent.
    const after = (await budget()).spent;
    expect(after).toBeGreaterThan(0);
    expect(second?.[0]).toMatch(
      /^You are terse\.\n\nBudget left: \$0\.\d{4} of \$0\.10 for run r1; 5 of 5 risk points/,
    );
  });

  it('off (the default): the system prompt is untouched', async () => {
    const { governor } = await setup();
    const model = oneLookup();
    const agent = createAgent({
      model,
      tools: [lookup],
      systemPrompt: 'You are terse.',
      middleware: [governorMiddleware({ governor })],
    });
    await agent.invoke({ messages: [{ role: 'user', content: 'Look it up' }] });
    expect(systemOf(model)).toEqual([['You are terse.'], ['You are terse.']]);
  });
});
