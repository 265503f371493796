import type { LanguageModelV4CallOptions } from '@ai-sdk/provider';
import { BudgetDeniedError, type Governor } from '@governor/core';
import { generateText, isStepCount, jsonSchema, tool } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { governModel, governTools } from '../src/index.js';
import { costOf, MODEL, RUN, setup, textResult, toolCallResult, usage } from './support.js';

const STEP = usage(100, 20);

/** The last tool result the model was sent, as text. */
function lastToolOutput(call: LanguageModelV4CallOptions): string | undefined {
  const last = call.prompt.at(-1);
  if (last?.role !== 'tool') return undefined;
  const part = last.content.at(-1);
  return part?.type === 'tool-result' ? JSON.stringify(part.output) : undefined;
}

/** A model that keeps sending email until a tool result says it was not executed. */
const emailLoopModel = () =>
  new MockLanguageModelV4({
    ...MODEL,
    doGenerate: async (call) =>
      lastToolOutput(call)?.includes('not executed')
        ? textResult('Stopping: the email budget is spent.', STEP)
        : toolCallResult('send_email', { to: 'customer@example.com' }, STEP),
  });

function emailTool() {
  const sent: string[] = [];
  const send_email = tool({
    inputSchema: jsonSchema<{ to: string }>({ type: 'object', properties: { to: { type: 'string' } } }),
    execute: async ({ to }) => {
      sent.push(to);
      return `sent to ${to}`;
    },
  });
  return { sent, send_email };
}

/** The email loop under `governor`: what was sent, and every tool result the model read. */
const emailLoop = async (governor: Governor) => {
  const { sent, send_email } = emailTool();
  const result = await generateText({
    model: governModel(emailLoopModel(), { governor }),
    tools: governTools({ send_email }, { governor }),
    prompt: 'Email the customer.',
    stopWhen: isStepCount(10),
  });
  return { sent, result, outputs: result.steps.flatMap((s) => s.toolResults.map((r) => r.output)) };
};

describe('governTools: rate limits and the loop breaker', () => {
  const points = { riskPoints: { rules: [{ name: 'send_email', points: 1 }] } };

  it('a rate-limited call answers with a tool result that says when to retry', async () => {
    const { governor, ledger, settled } = await setup({}, { ...points, loopBreaker: false });
    await ledger.createBudget({
      scope: RUN,
      unit: 'RISK_POINTS',
      allocated: 100,
      rateLimits: [{ action: 'send_email', maxCalls: 2, windowMs: 60_000 }],
    });
    const { sent, outputs } = await emailLoop(governor);
    expect(sent).toHaveLength(2);
    expect(outputs[2]).toBe(
      `not executed: send_email was denied — the rate limit for ${RUN} is reached. Retry after 60000 ms.`,
    );
    await settled({ RISK_POINTS: 2 });
  });

  it('the same call with the same arguments is stopped by LOOP_DETECTED (on by default for risk points)', async () => {
    const { governor, settled } = await setup({ riskPoints: 100 }, points);
    const { sent, outputs } = await emailLoop(governor);
    expect(sent).toHaveLength(4);
    expect(outputs[4]).toMatch(
      /^not executed: send_email was denied — .* \(loop detected\)\. Do not call it again\.$/,
    );
    await settled({ RISK_POINTS: 4 });
  });
});

describe('governTools', () => {
  it('multi-step loop: the tool budget runs out at exactly the fourth email', async () => {
    const { governor, settled } = await setup(
      { riskPoints: 3 },
      { riskPoints: { rules: [{ name: 'send_email', points: 1 }] } },
    );
    const { sent, outputs, result } = await emailLoop(governor);
    expect(sent).toHaveLength(3);
    expect(outputs.slice(0, 3)).toEqual(Array(3).fill('sent to customer@example.com'));
    expect(outputs[3]).toBe(
      `not executed: send_email was denied — the risk-point budget for ${RUN} is spent. Do not call it again.`,
    );
    expect(result.text).toBe('Stopping: the email budget is spent.');
    expect(result.steps).toHaveLength(5);
    await settled({ RISK_POINTS: 3, USD_MICROCENTS: 5 * costOf(MODEL, 100, 20) });
  });

  it("onDeny: 'throw' makes a denied call a tool error", async () => {
    const { governor, settled } = await setup({ riskPoints: 0 });
    const { sent, send_email } = emailTool();
    const model = new MockLanguageModelV4({
      ...MODEL,
      doGenerate: async (call) =>
        call.prompt.at(-1)?.role === 'tool'
          ? textResult('ok', STEP)
          : toolCallResult('send_email', { to: 'a@b.c' }, STEP),
    });
    const result = await generateText({
      model,
      tools: governTools({ send_email }, { governor, onDeny: 'throw', riskPoints: { send_email: 1 } }),
      prompt: 'x',
      stopWhen: isStepCount(3),
    });
    const errors = result.steps.flatMap((s) => s.content.filter((c) => c.type === 'tool-error'));
    expect(errors).toHaveLength(1);
    expect((errors[0] as { error: unknown }).error).toBeInstanceOf(BudgetDeniedError);
    expect(sent).toEqual([]);
    await settled({ RISK_POINTS: 0 });
  });

  it('risk points as a function of the input; a tool that started and threw is still charged', async () => {
    const { governor, events, settled } = await setup({ riskPoints: 100 });
    const refund = tool({
      inputSchema: jsonSchema<{ amount: number }>({ type: 'object' }),
      execute: async ({ amount }) => {
        if (amount > 1_000) throw new Error('refund rejected by the payment provider');
        return `refunded ${amount}`;
      },
    });
    const tools = governTools(
      { refund },
      { governor, riskPoints: { refund: (input) => ((input as { amount: number }).amount > 500 ? 25 : 5) } },
    );
    const run = (amount: number) =>
      tools.refund.execute?.({ amount }, { toolCallId: 't', messages: [], context: {} }) as Promise<unknown>;
    expect(await run(100)).toBe('refunded 100');
    expect(await run(800)).toBe('refunded 800');
    await expect(run(5_000)).rejects.toThrow('refund rejected');
    expect(events.filter((e) => e.type === 'release')).toHaveLength(0);
    await settled({ RISK_POINTS: 55 });
  });

  it('tools without risk points run unguarded; tools without execute are kept', async () => {
    const { governor, events } = await setup();
    const lookup = tool({
      inputSchema: jsonSchema<object>({ type: 'object' }),
      execute: async () => 'found',
    });
    const ask = tool({ inputSchema: jsonSchema<object>({ type: 'object' }) });
    const tools = governTools({ lookup, ask }, { governor });
    expect(await tools.lookup.execute?.({}, { toolCallId: 't', messages: [], context: {} })).toBe('found');
    expect(tools.ask).toBe(ask);
    expect(events).toEqual([]);
  });

  it('a tool the caps deny does not run, even with points left', async () => {
    const { governor, ledger, settled } = await setup({ riskPoints: 10 });
    await ledger.setDegradationPolicy({ tiers: [{ atPercent: 50, caps: { toolDenylist: ['send_email'] } }] });
    const { sent, send_email } = emailTool();
    const points = (input: unknown) => ((input as { to: string }).to === 'everyone' ? 6 : 1);
    const tools = governTools({ send_email }, { governor, riskPoints: { send_email: points } });
    const call = (to: string) =>
      tools.send_email.execute?.({ to }, { toolCallId: 't', messages: [], context: {} });
    expect(await call('everyone')).toBe('sent to everyone');
    expect(await call('one')).toBe(
      'not executed: send_email is not allowed any more in this run (budget caps). Do not call it again.',
    );
    expect(sent).toEqual(['everyone']);
    await settled({ RISK_POINTS: 6 });
  });
});
