/**
 * The LangChain issue, item by item: each test runs real `langchain` 1 /
 * `@langchain/core` 1 with fake models and checks the ledger — spent equals the
 * priced usage of every call that ran, nothing stays reserved, the invariant holds.
 */
import { deliveredCost, estimateTokens, planModelCall } from '@governor/core';
import type { BaseMessage } from '@langchain/core/messages';
import type { LLMResult } from '@langchain/core/outputs';
import { tool } from '@langchain/core/tools';
import { FakeListChatModel, FakeLLM } from '@langchain/core/utils/testing';
import { MemorySaver } from '@langchain/langgraph';
import { createAgent, modelFallbackMiddleware, summarizationMiddleware } from 'langchain';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  budgetDenialOf,
  circuitOpenMessage,
  GovernorCallbackHandler,
  governorMiddleware,
  governTool,
  isBudgetDenied,
} from '../src/index.js';
import {
  CHEAP,
  costOf,
  MODEL,
  RUN,
  ScriptedChatModel,
  setup,
  TENANT,
  text,
  toolCall,
  usage,
  WORKFLOW,
} from './support.js';

const GPT4O = { provider: 'openai', modelId: 'gpt-4o' };
const RISK = { riskPoints: { rules: [{ name: 'send_email', points: 1 }] } };
const input = (content = 'Email the customer.') => ({ messages: [{ role: 'user', content }] });
const toolResults = (messages: BaseMessage[]) =>
  messages.filter((m) => m.type === 'tool').map((m) => String(m.content));
const lastText = (result: { messages: BaseMessage[] }) => String(result.messages.at(-1)?.content);

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

/** Emails on its first `n` calls, then answers (whatever the summarizer left of the history). */
const emailsThenDone = (n: number) => {
  let calls = 0;
  return () => (calls++ < n ? toolCall('send_email', { to: 'c@example.com' }) : text('Done.'));
};

/** The USD budgets of the runs materialised under the workflow. */
const runBudgets = async (ledger: Awaited<ReturnType<typeof setup>>['ledger']) =>
  (await ledger.listBudgets()).filter(
    (b) => b.unit === 'USD_MICROCENTS' && b.scope.startsWith(`${WORKFLOW}/run:`),
  );

describe('1. model calls of other middleware are charged, once, to the agent run', () => {
  it('middleware + handler in the invocation: the summarizer is charged, the agent’s calls once, one run', async () => {
    const { governor, ledger, settled } = await setup({ perRun: true, noRun: true, riskPoints: 10 }, RISK);
    const { sent, send_email } = emailTool();
    const model = new ScriptedChatModel({ script: emailsThenDone(3) });
    const summarizer = new ScriptedChatModel({
      model: 'gpt-4o',
      script: () => text('Summary.', usage(500, 50)),
    });
    const handler = new GovernorCallbackHandler({ governor });
    const agent = createAgent({
      model,
      tools: [send_email],
      middleware: [
        summarizationMiddleware({ model: summarizer, trigger: { messages: 4 }, keep: { messages: 2 } }),
        governorMiddleware({ governor }),
      ],
    });
    const result = await agent.invoke(input(), { callbacks: [handler] });
    expect(lastText(result)).toBe('Done.');
    expect(sent).toHaveLength(3);
    expect(summarizer.calls.length).toBeGreaterThan(0);
    const runs = await runBudgets(ledger);
    expect(runs).toHaveLength(1);
    const spent =
      model.calls.length * costOf(MODEL, 100, 20) + summarizer.calls.length * costOf(GPT4O, 500, 50);
    await settled({ USD_MICROCENTS: spent, RISK_POINTS: 3 }, runs[0]?.scope);
    await settled({ USD_MICROCENTS: spent }, TENANT);
    expect([handler.pending, handler.tracked]).toEqual([0, 0]);
  });
});

describe('2. a fallback is charged at the price of the model that answered', () => {
  it.each(['before', 'after'] as const)('Governor %s modelFallbackMiddleware', async (where) => {
    const { governor, settled } = await setup();
    const primary = new ScriptedChatModel({
      model: 'gpt-4o',
      script: () => {
        throw new Error('primary down');
      },
    });
    const nano = new ScriptedChatModel({
      model: 'gpt-4.1-nano',
      script: () => text('from nano', usage(300, 40)),
    });
    const governed = governorMiddleware({ governor });
    const fallback = modelFallbackMiddleware(nano);
    const agent = createAgent({
      model: primary,
      tools: [],
      middleware: where === 'before' ? [governed, fallback] : [fallback, governed],
    });
    expect(lastText(await agent.invoke(input('Hi')))).toBe('from nano');
    await settled({ USD_MICROCENTS: costOf(CHEAP, 300, 40) });
  });
});

/** A text LLM (`handleLLMStart`) that reports its usage the legacy way (`llmOutput.tokenUsage`). */
class ReportingLLM extends FakeLLM {
  override async _generate(...args: Parameters<FakeLLM['_generate']>): Promise<LLMResult> {
    const result = await super._generate(...args);
    return { ...result, llmOutput: { tokenUsage: { promptTokens: 30, completionTokens: 5 } } };
  }
}

describe('3. text LLMs are governed, or refused with a clear error', () => {
  it('a model that names no model is refused; with priceAs it is reserved, run and committed', async () => {
    const { governor, settled } = await setup({ usd: 1_000_000 });
    const llm = new ReportingLLM({ response: 'completion' });
    await expect(
      llm.invoke('Complete:', { callbacks: [new GovernorCallbackHandler({ governor })] }),
    ).rejects.toThrow(
      'GovernorCallbackHandler: cannot price this text LLM run — it reports no model name (ls_model_name or invocation params); pass priceAs',
    );
    await settled({ USD_MICROCENTS: 0 });
    const handler = new GovernorCallbackHandler({ governor, priceAs: () => MODEL });
    expect(await llm.invoke('Complete:', { callbacks: [handler] })).toBe('completion');
    await settled({ USD_MICROCENTS: costOf(MODEL, 30, 5) });
    const { governor: poor, settled: poorSettled } = await setup({ usd: 10 });
    const denied = llm.invoke('Complete:', {
      callbacks: [new GovernorCallbackHandler({ governor: poor, priceAs: () => MODEL })],
    });
    await expect(denied).rejects.toMatchObject({ name: 'BudgetDeniedError' });
    await poorSettled({ USD_MICROCENTS: 0 });
  });
});

describe('4. a broken-off stream is settled', () => {
  it('idle past handles.idleTimeoutMs: the prompt and the tokens delivered are committed, the rest released', async () => {
    const { governor, clock, ledger, settled, budget } = await setup(
      {},
      { handles: { idleTimeoutMs: 1_000 } },
    );
    const handler = new GovernorCallbackHandler({ governor, priceAs: () => MODEL });
    const model = new FakeListChatModel({ responses: ['Hello, world'] });
    let seen = '';
    for await (const chunk of await model.stream('hi', { callbacks: [handler] })) {
      seen += String(chunk.content);
      if (seen.length === 3) break;
    }
    expect((await ledger.listReservations({ status: 'ACTIVE' })).reservations).toHaveLength(1);
    clock.advance(999);
    await governor.drain();
    expect((await ledger.listReservations({ status: 'ACTIVE' })).reservations).toHaveLength(1);
    clock.advance(1);
    await governor.drain();
    // The prompt plus the chunks LangChain reported before the break: 'H' and 'e', and 'l' too
    // where the runtime pulls one chunk ahead (Node 24 does, Node 20 does not).
    const { promptTokens } = planModelCall({}, { model: MODEL, prompt: [{ role: 'human', content: 'hi' }] });
    const reported = (text: string) => [...text].reduce((n, c) => n + estimateTokens(c), 0);
    const { spent } = await budget();
    expect(spent).toBeGreaterThanOrEqual(deliveredCost({}, MODEL, promptTokens, reported('He')));
    expect(spent).toBeLessThanOrEqual(deliveredCost({}, MODEL, promptTokens, reported('Hel')));
    await settled({ USD_MICROCENTS: spent });
    expect(handler.pending).toBe(0);
  });
});

describe('5. a run per conversation', () => {
  it("runPer: 'thread' keys the run by configurable.thread_id; the default stays one run per invoke", async () => {
    const { governor, ledger, settled } = await setup({ perRun: true, noRun: true });
    const agent = (runPer?: 'thread') =>
      createAgent({
        model: new ScriptedChatModel({ script: () => text('Hello.') }),
        tools: [],
        checkpointer: new MemorySaver(),
        middleware: [governorMiddleware({ governor, ...(runPer ? { runPer } : {}) })],
      });
    const byThread = agent('thread');
    const turn = (a: ReturnType<typeof agent>, thread: string) =>
      a.invoke(input('Hi'), { configurable: { thread_id: thread } });
    await turn(byThread, 'conv-1');
    await turn(byThread, 'conv-1');
    await turn(byThread, 'conv-2');
    const perInvoke = agent();
    await turn(perInvoke, 'conv-3');
    await turn(perInvoke, 'conv-3');
    const call = costOf(MODEL, 100, 20);
    await settled({ USD_MICROCENTS: 2 * call }, `${WORKFLOW}/run:conv-1`);
    await settled({ USD_MICROCENTS: call }, `${WORKFLOW}/run:conv-2`);
    const runs = await runBudgets(ledger);
    expect(runs).toHaveLength(4);
    expect(runs.filter((b) => !b.scope.includes('conv-')).map((b) => b.spent)).toEqual([call, call]);
    await settled({ USD_MICROCENTS: 5 * call }, TENANT);
    const noThread = createAgent({
      model: new ScriptedChatModel({ script: () => text('x') }),
      tools: [],
      middleware: [governorMiddleware({ governor, runPer: 'thread' })],
    });
    await expect(noThread.invoke(input('Hi'))).rejects.toThrow(
      "configurable.thread_id: is required with runPer: 'thread' (pass it to agent.invoke)",
    );
  });
});

describe('6. a model that ignores denials', () => {
  it('is stopped by the circuit breaker: the agent ends with a final message that says why', async () => {
    const { governor, settled } = await setup({ riskPoints: 1 }, RISK);
    const { sent, send_email } = emailTool();
    const model = new ScriptedChatModel({ script: () => toolCall('send_email', { to: 'c@example.com' }) });
    const agent = createAgent({ model, tools: [send_email], middleware: [governorMiddleware({ governor })] });
    const result = await agent.invoke(input(), { recursionLimit: 60 });
    expect(sent).toHaveLength(1);
    // One call that ran, then three denied in a row (the breaker's default): no fifth model call.
    expect(model.calls).toHaveLength(4);
    expect(lastText(result)).toBe(circuitOpenMessage(3));
    await settled({ RISK_POINTS: 1, USD_MICROCENTS: 4 * costOf(MODEL, 100, 20) });
  });
});

describe('7. per-tool subjects', () => {
  it('toolSubject puts each tool under its toolset: per-toolset RISK_POINTS with the middleware alone', async () => {
    const { governor, ledger, settled } = await setup(
      {},
      {
        riskPoints: {
          rules: [
            { name: 'send_email', points: 1 },
            { name: 'refund', points: 25 },
          ],
        },
      },
    );
    await ledger.createBudget({ scope: `${RUN}/toolset:email`, unit: 'RISK_POINTS', allocated: 2 });
    await ledger.createBudget({ scope: `${RUN}/toolset:payments`, unit: 'RISK_POINTS', allocated: 100 });
    const { sent, send_email } = emailTool();
    const refunds: number[] = [];
    const refund = tool(
      async ({ amount }) => {
        refunds.push(amount);
        return `refunded ${amount}`;
      },
      {
        name: 'refund',
        description: 'Refund',
        schema: z.object({ amount: z.number() }),
      },
    );
    const model = new ScriptedChatModel({
      script: (messages) => {
        const done = toolResults(messages).length;
        if (done < 3) return toolCall('send_email', { to: 'c@example.com' });
        return done === 3 ? toolCall('refund', { amount: 40 }) : text('Done.');
      },
    });
    const toolSubject = (name: string) => ({ toolset: name === 'refund' ? 'payments' : 'email' });
    const agent = createAgent({
      model,
      tools: [send_email, refund],
      middleware: [governorMiddleware({ governor, toolSubject })],
    });
    const result = await agent.invoke(input());
    expect(sent).toHaveLength(2);
    expect(refunds).toEqual([40]);
    expect(toolResults(result.messages)[2]).toBe(
      `not executed: send_email was denied — the risk-point budget for ${RUN}/toolset:email is spent. Do not call it again.`,
    );
    await settled({ RISK_POINTS: 2 }, `${RUN}/toolset:email`);
    await settled({ RISK_POINTS: 25 }, `${RUN}/toolset:payments`);
    await settled({ USD_MICROCENTS: 5 * costOf(MODEL, 100, 20) });
  });
});

describe('8. options are validated; denials are recognisable', () => {
  it('a wrong or old option name is a clear error; isBudgetDenied sees through MiddlewareError', async () => {
    const { governor, settled } = await setup({ usd: 10 });
    expect(() => governorMiddleware({ governor, onToolDeny: 'message' } as never)).toThrow(
      'governorMiddleware.onToolDeny: is not a known field',
    );
    expect(() => governorMiddleware({ governor, onDeny: 'message' } as never)).toThrow(
      'governorMiddleware.onDeny: must be one of result, throw',
    );
    expect(() => governorMiddleware({} as never)).toThrow(
      'governorMiddleware.governor: must be a Governor (createGovernor from @governor/core)',
    );
    expect(
      () => new GovernorCallbackHandler({ governor, riskPoints: { send_email: 'one' } } as never),
    ).toThrow(/^GovernorCallbackHandler\.riskPoints\.send_email: /);
    // A callback can only raise: the handler takes no onDeny.
    expect(() => new GovernorCallbackHandler({ governor, onDeny: 'result' } as never)).toThrow(
      'GovernorCallbackHandler.onDeny: is not a known field',
    );
    expect(() => governTool(emailTool().send_email, { governor, kind: '' })).toThrow(
      'governTool.kind: must not be empty',
    );
    const agent = createAgent({
      model: new ScriptedChatModel({ script: () => text('never') }),
      tools: [],
      middleware: [governorMiddleware({ governor, onModelDeny: 'throw' })],
    });
    const error = await agent.invoke(input('Hi')).catch((e: unknown) => e);
    expect(isBudgetDenied(error)).toBe(true);
    expect(budgetDenialOf(error)).toMatchObject({ reasonCode: 'BUDGET_EXCEEDED', scope: RUN });
    await settled({ USD_MICROCENTS: 0 });
  });
});

describe('caps and risk points through core', () => {
  /** A run at 60 % of its $ budget (the tier at 50 % applies). */
  const spentRun = async (caps: object, usd = 1_000_000) => {
    const env = await setup({ usd, riskPoints: 10 }, RISK);
    await env.ledger.setDegradationPolicy({ tiers: [{ atPercent: 50, caps }] });
    await env.governor.run(
      {
        action: { kind: 'llm.completion', name: 'earlier' },
        estimate: { unit: 'USD_MICROCENTS', amount: 0.6 * usd },
      },
      () => ({ value: null, actual: 0.6 * usd }),
    );
    return env;
  };

  it('caps-aware reservation: a call that only fits downgraded and capped runs, not denied', async () => {
    // 40,000 µ¢ left: gpt-4o-mini with 4,096 output tokens does not fit; gpt-4.1-nano at 32 does.
    const { governor, settled } = await spentRun({ maxTokens: 32 }, 100_000);
    const calls: ScriptedChatModel['calls'] = [];
    const cheap = new ScriptedChatModel({
      model: 'gpt-4.1-nano',
      maxTokens: 1_000,
      calls,
      script: () => text('cheap', usage(40, 20)),
    });
    const agent = createAgent({
      model: new ScriptedChatModel({ script: () => text('expensive') }),
      tools: [],
      middleware: [governorMiddleware({ governor, downgrade: cheap })],
    });
    expect(lastText(await agent.invoke(input('Hi')))).toBe('cheap');
    expect(calls).toEqual([expect.objectContaining({ model: 'gpt-4.1-nano', maxTokens: 32 })]);
    await settled({ USD_MICROCENTS: 60_000 + costOf(CHEAP, 40, 20) });
  });

  it('caps that only restrict tools do not downgrade; a dropped 0-point tool is still denied when called', async () => {
    const { governor, settled } = await spentRun({ toolDenylist: ['lookup'] });
    const looked: string[] = [];
    const lookup = tool(
      async () => {
        looked.push('x');
        return 'found';
      },
      {
        name: 'lookup',
        description: 'Look up',
        schema: z.object({}),
      },
    );
    const cheap = new ScriptedChatModel({ model: 'gpt-4.1-nano', script: () => text('cheap') });
    const applied: unknown[] = [];
    const model = new ScriptedChatModel({
      // A model that calls the tool it was not offered.
      script: (messages) => (toolResults(messages).length ? text('Done.') : toolCall('lookup', {})),
    });
    const agent = createAgent({
      model,
      tools: [lookup],
      middleware: [governorMiddleware({ governor, downgrade: cheap, onApplied: (a) => applied.push(a) })],
    });
    const result = await agent.invoke(input('Look it up'));
    expect(model.calls.map((c) => [c.model, c.tools])).toEqual([
      ['gpt-4o-mini', []],
      ['gpt-4o-mini', []],
    ]);
    expect(applied[0]).toMatchObject({ decision: 'ALLOW_WITH_CAPS', droppedTools: ['lookup'] });
    expect(applied[0]).not.toHaveProperty('downgradedTo');
    expect(looked).toEqual([]);
    expect(toolResults(result.messages)).toEqual([
      'not executed: lookup is not allowed any more in this run (budget caps). Do not call it again.',
    ]);
    await settled({ USD_MICROCENTS: 600_000 + 2 * costOf(MODEL, 100, 20) });
  });

  it('invalid risk points deny the call with a message that says why', async () => {
    const { governor, settled } = await setup({ riskPoints: 10 });
    const { sent, send_email } = emailTool();
    const agent = createAgent({
      model: new ScriptedChatModel({ script: emailsThenDone(1) }),
      tools: [send_email],
      middleware: [governorMiddleware({ governor, riskPoints: { send_email: () => 1.5 } })],
    });
    const result = await agent.invoke(input());
    expect(sent).toEqual([]);
    expect(toolResults(result.messages)).toEqual([
      'not executed: send_email was denied — its risk points must be a whole number, got 1.5. Do not call it again.',
    ]);
    await settled({ RISK_POINTS: 0, USD_MICROCENTS: 2 * costOf(MODEL, 100, 20) });
  });
});

describe('composition', () => {
  it('summarization + model fallback + Governor (with its handler) in one agent: every call charged once', async () => {
    const { governor, ledger, settled } = await setup({ perRun: true, noRun: true, riskPoints: 10 }, RISK);
    const { sent, send_email } = emailTool();
    const primary = new ScriptedChatModel({
      model: 'gpt-4o',
      script: () => {
        throw new Error('rate limited');
      },
    });
    const nano = new ScriptedChatModel({ model: 'gpt-4.1-nano', script: emailsThenDone(3) });
    const summarizer = new ScriptedChatModel({
      model: 'gpt-4o',
      script: () => text('Summary.', usage(500, 50)),
    });
    const handler = new GovernorCallbackHandler({ governor });
    const agent = createAgent({
      model: primary,
      tools: [send_email],
      middleware: [
        summarizationMiddleware({ model: summarizer, trigger: { messages: 4 }, keep: { messages: 2 } }),
        governorMiddleware({ governor }),
        modelFallbackMiddleware(nano),
      ],
    });
    const result = await agent.invoke(input(), { callbacks: [handler] });
    expect(lastText(result)).toBe('Done.');
    expect(sent).toHaveLength(3);
    expect(summarizer.calls.length).toBeGreaterThan(0);
    const runs = await runBudgets(ledger);
    expect(runs).toHaveLength(1);
    const spent =
      nano.calls.length * costOf(CHEAP, 100, 20) + summarizer.calls.length * costOf(GPT4O, 500, 50);
    await settled({ USD_MICROCENTS: spent, RISK_POINTS: 3 }, runs[0]?.scope);
    expect([handler.pending, handler.tracked]).toEqual([0, 0]);
  });
});
