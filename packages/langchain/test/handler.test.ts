import { BudgetDeniedError } from '@governor/core';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { RunnableLambda } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GovernorCallbackHandler } from '../src/index.js';
import { costOf, MODEL, RUN, ScriptedChatModel, setup, text, usage, WORKFLOW } from './support.js';

const prompt = ChatPromptTemplate.fromMessages([['human', 'Answer: {question}']]);
const emailTool = (sent: string[] = []) =>
  tool(
    async ({ to }) => {
      if (to === 'nobody') throw new Error('no such mailbox');
      sent.push(to);
      return `sent to ${to}`;
    },
    { name: 'send_email', description: 'Send an email', schema: z.object({ to: z.string() }) },
  );

describe('GovernorCallbackHandler', () => {
  it('a chain with the handler: reserves on start, commits usage_metadata on end', async () => {
    const { governor, events, settled } = await setup();
    const model = new ScriptedChatModel({ script: () => text('42', usage(1_200, 80)) });
    const handler = new GovernorCallbackHandler({ governor });
    const answer = await prompt.pipe(model).invoke({ question: 'six times seven' }, { callbacks: [handler] });
    expect(answer.content).toBe('42');
    expect(events.map((e) => e.type)).toEqual(['decision', 'commit']);
    expect(events[0]).toMatchObject({ action: { kind: 'llm.completion', name: 'openai:gpt-4o-mini' } });
    expect(handler.pending).toBe(0);
    await settled({ USD_MICROCENTS: costOf(MODEL, 1_200, 80) });
  });

  it('a DENY stops the call with the typed error; the model never runs', async () => {
    const { governor, settled } = await setup({ usd: 10 });
    const model = new ScriptedChatModel({ script: () => text('never') });
    const handler = new GovernorCallbackHandler({ governor });
    const error = await prompt
      .pipe(model)
      .invoke({ question: 'x' }, { callbacks: [handler] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetDeniedError);
    expect((error as BudgetDeniedError).scope).toBe(RUN);
    expect(model.calls).toHaveLength(0);
    expect([handler.pending, handler.tracked]).toEqual([0, 0]);
    await settled({ USD_MICROCENTS: 0 });
  });

  it('a failing model call releases its reservation', async () => {
    const { governor, events, settled } = await setup();
    const model = new ScriptedChatModel({
      script: () => {
        throw new Error('provider down');
      },
    });
    const handler = new GovernorCallbackHandler({ governor });
    await expect(model.invoke('x', { callbacks: [handler] })).rejects.toThrow('provider down');
    expect(events.map((e) => e.type)).toEqual(['decision', 'release']);
    await settled({ USD_MICROCENTS: 0 });
  });

  it('concurrent and nested runs: each root LangChain run is its own Governor run', async () => {
    const { governor, ledger, settled } = await setup({ perRun: true, noRun: true });
    const handler = new GovernorCallbackHandler({ governor });
    const model = new ScriptedChatModel({
      script: (messages) => text('ok', usage(String(messages[0]?.content).length * 10, 10)),
    });
    // One root run makes two nested model calls; the roots run concurrently.
    const twice = RunnableLambda.from(async (q: string, config) => {
      await model.invoke(q, config);
      await model.invoke(q, config);
      return q;
    });
    const questions = ['a', 'bb', 'ccc', 'dddd', 'eeeee'];
    await Promise.all(questions.map((q) => twice.invoke(q, { callbacks: [handler] })));
    const runs = (await ledger.listBudgets())
      .filter((b) => b.unit === 'USD_MICROCENTS')
      .filter((b) => b.scope.startsWith(`${WORKFLOW}/run:`));
    expect(runs).toHaveLength(5);
    const spent = runs.map((b) => b.spent).sort((a, b) => a - b);
    expect(spent).toEqual(questions.map((q) => 2 * costOf(MODEL, q.length * 10, 10)).sort((a, b) => a - b));
    expect([handler.pending, handler.tracked]).toEqual([0, 0]);
    await settled({ USD_MICROCENTS: spent.reduce((a, b) => a + b, 0) }, 'tenant:acme');
  });

  it('a run supplied by the caller wins over the LangChain run', async () => {
    const { governor, settled } = await setup({ noRun: true });
    const model = new ScriptedChatModel({ script: () => text('ok', usage(50, 5)) });
    const handler = new GovernorCallbackHandler({ governor });
    await governor.withRun('r1', () => model.invoke('x', { callbacks: [handler] }));
    await settled({ USD_MICROCENTS: costOf(MODEL, 50, 5) });
  });

  it('tools: RISK_POINTS reserved on start, committed on end (a failed run too: it started), denied when spent', async () => {
    const { governor, events, settled } = await setup(
      { riskPoints: 3 },
      { riskPoints: { rules: [{ name: 'send_email', points: 1 }] } },
    );
    const sent: string[] = [];
    const send = emailTool(sent);
    const handler = new GovernorCallbackHandler({ governor });
    const callbacks = [handler];
    expect(await send.invoke({ to: 'a@example.com' }, { callbacks })).toBe('sent to a@example.com');
    await expect(send.invoke({ to: 'nobody' }, { callbacks })).rejects.toThrow('no such mailbox');
    expect(await send.invoke({ to: 'b@example.com' }, { callbacks })).toBe('sent to b@example.com');
    await expect(send.invoke({ to: 'c@example.com' }, { callbacks })).rejects.toBeInstanceOf(
      BudgetDeniedError,
    );
    expect(sent).toEqual(['a@example.com', 'b@example.com']);
    expect(events.filter((e) => e.type === 'release')).toHaveLength(0);
    expect(
      events.filter((e) => e.type === 'commit').map((e) => e.type === 'commit' && e.actualSource),
    ).toEqual(['reported', 'reported', 'reported']);
    expect([handler.pending, handler.tracked]).toEqual([0, 0]);
    await settled({ RISK_POINTS: 3 });
  });
});
