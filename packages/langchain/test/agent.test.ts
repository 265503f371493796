import { BudgetDeniedError } from '@governor/core';
import { tool } from '@langchain/core/tools';
import { createAgent } from 'langchain';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { governorMiddleware } from '../src/index.js';
import { costOf, lastToolOutput, MODEL, RUN, ScriptedChatModel, setup, text, toolCall } from './support.js';

const RISK = { riskPoints: { rules: [{ name: 'send_email', points: 1 }] } };

function emailTool() {
  const sent: string[] = [];
  const send_email = tool(
    async ({ to }) => {
      sent.push(to);
      return `sent to ${to}`;
    },
    { name: 'send_email', description: 'Send an email', schema: z.object({ to: z.string() }) },
  );
  return { sent, send_email };
}

/** A model stuck in the incident's loop: it sends email until a tool result says it was not executed. */
const emailLoop = () =>
  new ScriptedChatModel({
    script: (messages) =>
      lastToolOutput(messages)?.includes('not executed')
        ? text('Stopping: the email budget is spent.')
        : toolCall('send_email', { to: 'customer@example.com' }),
  });

const messagesOf = (result: { messages: { type: string; content: unknown }[] }) =>
  result.messages.map(
    (m) => `${m.type}: ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}`,
  );

describe('governorMiddleware (createAgent)', () => {
  it('the email loop: the run’s RISK_POINTS run out at exactly call N+1, the model reads why', async () => {
    const N = 3;
    const { governor, settled } = await setup({ riskPoints: N }, RISK);
    const { sent, send_email } = emailTool();
    const agent = createAgent({
      model: emailLoop(),
      tools: [send_email],
      middleware: [governorMiddleware({ governor })],
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'Email the customer.' }] });
    expect(sent).toHaveLength(N);
    const tools = result.messages.filter((m) => m.type === 'tool').map((m) => String(m.content));
    expect(tools.slice(0, N)).toEqual(Array(N).fill('sent to customer@example.com'));
    expect(tools[N]).toBe(
      `not executed: send_email was denied — the risk-point budget for ${RUN} is spent. Do not call it again.`,
    );
    expect(result.messages.at(-1)?.content).toBe('Stopping: the email budget is spent.');
    await settled({ RISK_POINTS: N, USD_MICROCENTS: (N + 2) * costOf(MODEL, 100, 20) });
  });

  it('a denied model call ends the agent with a final AI message that says why', async () => {
    const { governor, settled } = await setup({ usd: 10 });
    const model = emailLoop();
    const agent = createAgent({
      model,
      tools: [emailTool().send_email],
      middleware: [governorMiddleware({ governor })],
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'Email the customer.' }] });
    expect(model.calls).toHaveLength(0);
    expect(messagesOf(result).at(-1)).toBe(
      `ai: Stopped: the next model call was denied — the spending budget for ${RUN} is spent.`,
    );
    await settled({ USD_MICROCENTS: 0 });
  });

  it("onModelDeny: 'throw' rejects with BudgetDeniedError (as the cause of LangChain's MiddlewareError)", async () => {
    const { governor, settled } = await setup({ usd: 10 });
    const agent = createAgent({
      model: emailLoop(),
      tools: [emailTool().send_email],
      middleware: [governorMiddleware({ governor, onModelDeny: 'throw' })],
    });
    const error = await agent.invoke({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    // createAgent wraps every middleware error in a MiddlewareError; the name and the cause are ours.
    expect(error).toMatchObject({ name: 'BudgetDeniedError' });
    expect((error as Error).cause).toBeInstanceOf(BudgetDeniedError);
    await settled({ USD_MICROCENTS: 0 });
  });

  it('caps: a cheaper model, a lower max tokens and the denied tool dropped', async () => {
    const { governor, ledger, settled } = await setup({ usd: 1_000_000, riskPoints: 10 }, RISK);
    await ledger.setDegradationPolicy({
      units: ['USD_MICROCENTS'],
      tiers: [{ atPercent: 50, caps: { maxTokens: 32, toolDenylist: ['send_email'] } }],
    });
    await governor.run(
      {
        action: { kind: 'llm.completion', name: 'earlier' },
        estimate: { unit: 'USD_MICROCENTS', amount: 600_000 },
      },
      () => ({ value: null, actual: 600_000 }),
    );
    const calls: ScriptedChatModel['calls'] = [];
    const cheap = new ScriptedChatModel({
      model: 'gpt-4.1-nano',
      maxTokens: 1_000,
      calls,
      script: () => text('cheap answer', { input_tokens: 40, output_tokens: 20, total_tokens: 60 }),
    });
    const applied: unknown[] = [];
    const agent = createAgent({
      model: emailLoop(),
      tools: [
        emailTool().send_email,
        tool(async () => 'ok', { name: 'lookup', description: 'Look up', schema: z.object({}) }),
      ],
      middleware: [governorMiddleware({ governor, downgrade: cheap, onApplied: (a) => applied.push(a) })],
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'x' }] });
    expect(result.messages.at(-1)?.content).toBe('cheap answer');
    expect(calls).toEqual([
      expect.objectContaining({ model: 'gpt-4.1-nano', maxTokens: 32, tools: ['lookup'] }),
    ]);
    expect(applied).toEqual([
      expect.objectContaining({
        decision: 'ALLOW_WITH_CAPS',
        downgradedTo: 'gpt-4.1-nano',
        maxOutputTokens: 32,
        droppedTools: ['send_email'],
      }),
    ]);
    await settled({
      USD_MICROCENTS: 600_000 + costOf({ provider: 'openai', modelId: 'gpt-4.1-nano' }, 40, 20),
    });
  });

  it('concurrent agents on one shared budget: exactly the budget’s worth of emails goes out', async () => {
    const { governor, ledger, settled } = await setup({ perRun: true, noRun: true }, RISK);
    const WORKFLOW_BUDGET = 5;
    await ledger.createBudget({
      scope: 'tenant:acme/workflow:support',
      unit: 'RISK_POINTS',
      allocated: WORKFLOW_BUDGET,
    });
    const { sent, send_email } = emailTool();
    const agent = createAgent({
      model: emailLoop(),
      tools: [send_email],
      middleware: [governorMiddleware({ governor })],
    });
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        agent.invoke({ messages: [{ role: 'user', content: `Email customer ${i}.` }] }),
      ),
    );
    expect(sent).toHaveLength(WORKFLOW_BUDGET);
    for (const r of results) expect(r.messages.at(-1)?.content).toBe('Stopping: the email budget is spent.');
    const runs = (await ledger.listBudgets())
      .filter((b) => b.unit === 'USD_MICROCENTS')
      .filter((b) => b.scope.includes('/run:'));
    expect(runs).toHaveLength(4);
    const modelCalls = results.reduce((n, r) => n + r.messages.filter((m) => m.type === 'ai').length, 0);
    await settled({ RISK_POINTS: WORKFLOW_BUDGET }, 'tenant:acme/workflow:support');
    await settled({ USD_MICROCENTS: modelCalls * costOf(MODEL, 100, 20) }, 'tenant:acme');
  });
});
