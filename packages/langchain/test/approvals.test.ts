import { tool } from '@langchain/core/tools';
import { Command, interrupt, MemorySaver } from '@langchain/langgraph';
import { ChatOpenAI } from '@langchain/openai';
import { createAgent } from 'langchain';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type OpenAiServer, startOpenAiServer } from '../../../test/support/openai-server.js';
import { type GovernorApprovalInterrupt, governorMiddleware } from '../src/index.js';
import { costOf, MODEL, RUN, setup } from './support.js';

let server: OpenAiServer;
beforeAll(async () => {
  server = await startOpenAiServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const POINTS = 3;
const ASK = { promptTokens: 200, completionTokens: 30 };
const DONE = { promptTokens: 260, completionTokens: 8 };
const EMAIL = { to: 'ceo@example.com' };

/** An agent (ChatOpenAI on the local server, a checkpointer) whose send_email costs 3 of the run's 2 risk points. */
async function agentOnSpentBudget(
  options: { approvals?: 'interrupt' | 'message'; checkpointer?: false; runPerInvoke?: true } = {},
) {
  const env = await setup(
    options.runPerInvoke ? { riskPoints: 2, perRun: true, noRun: true } : { riskPoints: 2 },
    {
      riskPoints: { rules: [{ name: 'send_email', points: POINTS }] },
      approvals: { when: [{ tools: ['send_email'] }] },
    },
  );
  const sent: string[] = [];
  const send_email = tool(
    async ({ to }) => {
      sent.push(to);
      return `sent to ${to}`;
    },
    { name: 'send_email', description: 'Send an email', schema: z.object({ to: z.string() }) },
  );
  const model = new ChatOpenAI({
    model: MODEL.modelId,
    apiKey: 'test',
    maxRetries: 0,
    configuration: { baseURL: server.url },
  });
  const agent = createAgent({
    model,
    tools: [send_email],
    middleware: [
      governorMiddleware({
        governor: env.governor,
        ...(options.approvals ? { approvals: options.approvals } : {}),
      }),
    ],
    ...(options.checkpointer === false ? {} : { checkpointer: new MemorySaver() }),
  });
  const thread = { configurable: { thread_id: `t-${Math.random().toString(36).slice(2)}` } };
  const approvalsOf = () => env.ledger.listApprovals({ tenant: 'acme' });
  return { ...env, agent, sent, thread, approvalsOf };
}

/** The model asks for send_email (call_1), then — once it reads the tool's result — answers `final`. */
const script = (final = 'Done.') =>
  server.reply(
    { toolCalls: [{ id: 'call_1', name: 'send_email', arguments: EMAIL }], usage: ASK },
    { text: final, usage: DONE },
  );

const interruptOf = (result: { __interrupt__?: { value?: unknown }[] }) =>
  result.__interrupt__?.[0]?.value as GovernorApprovalInterrupt | undefined;

const toolMessages = (result: { messages: { type: string; content: unknown }[] }) =>
  result.messages.filter((m) => m.type === 'tool').map((m) => String(m.content));

const input = { messages: [{ role: 'user', content: 'Email the CEO.' }] };

describe('governorMiddleware approvals (createAgent, ChatOpenAI, MemorySaver)', () => {
  it('pauses the denied call with an interrupt; approved and resumed, it runs once, charged once', async () => {
    const { agent, thread, sent, ledger, budget, settled, approvalsOf } = await agentOnSpentBudget();
    script();
    const paused = await agent.invoke(input, thread);
    const value = interruptOf(paused);
    expect(value).toMatchObject({
      type: 'governor.approval',
      tool: 'send_email',
      args: EMAIL,
      toolCallId: 'call_1',
      reasonCode: 'BUDGET_EXCEEDED',
      reason: `the risk-point budget for ${RUN} is spent`,
      scope: RUN,
      estimate: { unit: 'RISK_POINTS', amount: POINTS },
      tenant: 'acme',
    });
    if (!value) throw new Error('no interrupt');
    expect(value.approve).toBe(`governor approvals approve ${value.approvalId} --tenant acme`);
    expect(JSON.parse(JSON.stringify(value))).toEqual(value); // serialisable as it is
    // Paused: the tool did not run, nothing is reserved or spent, one approval waits.
    expect(sent).toEqual([]);
    await settled({ RISK_POINTS: 0 });
    expect(await approvalsOf()).toMatchObject([{ approvalId: value.approvalId, status: 'PENDING' }]);

    await ledger.decideApproval({ tenant: 'acme', approvalId: value.approvalId, decision: 'APPROVE' });
    const resumed = await agent.invoke(new Command({ resume: true }), thread);
    expect(interruptOf(resumed)).toBeUndefined();
    expect(sent).toEqual([EMAIL.to]);
    expect(toolMessages(resumed)).toEqual([`sent to ${EMAIL.to}`]);
    expect(resumed.messages.at(-1)?.content).toBe('Done.');
    // The budget was raised by what the call lacked, once; the model was called twice in all.
    expect(await budget('RISK_POINTS')).toMatchObject({ allocated: POINTS, spent: POINTS, reserved: 0 });
    expect(server.requests).toHaveLength(2);
    await settled({
      RISK_POINTS: POINTS,
      USD_MICROCENTS: costOf(MODEL, ASK.promptTokens, ASK.completionTokens) + costOf(MODEL, 260, 8),
    });
    expect(await approvalsOf()).toMatchObject([{ status: 'USED' }]);
  });

  it('rejected: the resumed call answers with a ToolMessage that says so, and the tool never runs', async () => {
    const { agent, thread, sent, ledger, settled, approvalsOf } = await agentOnSpentBudget();
    script('I could not send it.');
    const value = interruptOf(await agent.invoke(input, thread));
    if (!value) throw new Error('no interrupt');
    await ledger.decideApproval({
      tenant: 'acme',
      approvalId: value.approvalId,
      decision: 'REJECT',
      actor: 'ops:ann',
      note: 'not today',
    });
    const resumed = await agent.invoke(new Command({ resume: true }), thread);
    expect(toolMessages(resumed)).toEqual([
      `not executed: send_email was denied — approval ${value.approvalId} was rejected by ops:ann: not today. Do not call it again.`,
    ]);
    expect(resumed.messages.at(-1)?.content).toBe('I could not send it.');
    expect(sent).toEqual([]);
    await settled({ RISK_POINTS: 0 });
    expect(await approvalsOf()).toMatchObject([{ status: 'REJECTED', decidedBy: 'ops:ann' }]);
  });

  it('resumed while still pending: paused again on the same approval, nothing charged; then approved, runs once', async () => {
    const { agent, thread, sent, ledger, settled, approvalsOf } = await agentOnSpentBudget();
    script();
    const first = interruptOf(await agent.invoke(input, thread));
    if (!first) throw new Error('no interrupt');
    for (let i = 0; i < 2; i++) {
      const again = interruptOf(await agent.invoke(new Command({ resume: true }), thread));
      expect(again).toMatchObject({ approvalId: first.approvalId, toolCallId: 'call_1' });
      expect(sent).toEqual([]);
      await settled({ RISK_POINTS: 0 });
    }
    expect(await approvalsOf()).toHaveLength(1);
    await ledger.decideApproval({ tenant: 'acme', approvalId: first.approvalId, decision: 'APPROVE' });
    const resumed = await agent.invoke(new Command({ resume: true }), thread);
    expect(resumed.messages.at(-1)?.content).toBe('Done.');
    expect(sent).toEqual([EMAIL.to]);
    expect(server.requests).toHaveLength(2);
    await settled({ RISK_POINTS: POINTS });
    expect(await approvalsOf()).toMatchObject([{ status: 'USED' }]);
  });

  it('paused, resumed while pending a few times, then rejected: the model still reads the rejection', async () => {
    const { agent, thread, sent, ledger, settled } = await agentOnSpentBudget();
    script('I could not send it.');
    const first = interruptOf(await agent.invoke(input, thread));
    if (!first) throw new Error('no interrupt');
    for (let i = 0; i < 3; i++) await agent.invoke(new Command({ resume: true }), thread);
    await ledger.decideApproval({
      tenant: 'acme',
      approvalId: first.approvalId,
      decision: 'REJECT',
      actor: 'ops:ann',
    });
    const resumed = await agent.invoke(new Command({ resume: true }), thread);
    expect(toolMessages(resumed)).toEqual([
      `not executed: send_email was denied — approval ${first.approvalId} was rejected by ops:ann. Do not call it again.`,
    ]);
    expect(resumed.messages.at(-1)?.content).toBe('I could not send it.');
    expect(sent).toEqual([]);
    await settled({ RISK_POINTS: 0 });
  });

  it('a run per invoke: the resumed call is in the run it paused in (the run id lives in the checkpoint)', async () => {
    const { agent, thread, sent, ledger, approvalsOf } = await agentOnSpentBudget({ runPerInvoke: true });
    script();
    const value = interruptOf(await agent.invoke(input, thread));
    if (!value?.scope) throw new Error('no interrupt');
    expect(value.scope).toMatch(/^tenant:acme\/workflow:support\/run:[0-9a-f-]{36}$/);
    await ledger.decideApproval({ tenant: 'acme', approvalId: value.approvalId, decision: 'APPROVE' });
    const resumed = await agent.invoke(new Command({ resume: true }), thread);
    expect(resumed.messages.at(-1)?.content).toBe('Done.');
    expect(sent).toEqual([EMAIL.to]);
    expect(await ledger.getBudget({ scope: value.scope, unit: 'RISK_POINTS' })).toMatchObject({
      allocated: POINTS,
      spent: POINTS,
      reserved: 0,
    });
    expect(await approvalsOf()).toMatchObject([{ status: 'USED', scopePath: value.scope }]);
  });

  it('two calls paused in one step: one interrupt each; approved and resumed, each runs once', async () => {
    const { agent, thread, sent, ledger, settled, approvalsOf } = await agentOnSpentBudget();
    const other = { to: 'cfo@example.com' };
    server.reply(
      {
        toolCalls: [
          { id: 'call_1', name: 'send_email', arguments: EMAIL },
          { id: 'call_2', name: 'send_email', arguments: other },
        ],
        usage: ASK,
      },
      { text: 'Both sent.', usage: DONE },
    );
    const paused = await agent.invoke(input, thread);
    const values = (paused.__interrupt__ ?? []).map((i) => i.value as GovernorApprovalInterrupt);
    expect(values.map((v) => v.toolCallId).sort()).toEqual(['call_1', 'call_2']);
    expect(await approvalsOf()).toHaveLength(2);
    for (const v of values) {
      await ledger.decideApproval({ tenant: 'acme', approvalId: v.approvalId, decision: 'APPROVE' });
    }
    const resume = Object.fromEntries((paused.__interrupt__ ?? []).map((i) => [i.id, true]));
    const resumed = await agent.invoke(new Command({ resume }), thread);
    expect(interruptOf(resumed)).toBeUndefined();
    expect(resumed.messages.at(-1)?.content).toBe('Both sent.');
    expect(sent.sort()).toEqual([other.to, EMAIL.to].sort());
    await settled({ RISK_POINTS: 2 * POINTS });
    expect((await approvalsOf()).map((a) => a.status)).toEqual(['USED', 'USED']);
  });

  it("a tool's own interrupt() is not a charge: resumed, it runs and is charged once", async () => {
    const env = await setup(
      { riskPoints: 10 },
      { riskPoints: { rules: [{ name: 'send_email', points: POINTS }] } },
    );
    const sent: string[] = [];
    const send_email = tool(
      async ({ to }) => {
        if (interrupt({ confirm: to }) !== 'yes') return 'not sent';
        sent.push(to);
        return `sent to ${to}`;
      },
      { name: 'send_email', description: 'Send an email', schema: z.object({ to: z.string() }) },
    );
    const agent = createAgent({
      model: new ChatOpenAI({
        model: MODEL.modelId,
        apiKey: 'test',
        maxRetries: 0,
        configuration: { baseURL: server.url },
      }),
      tools: [send_email],
      middleware: [governorMiddleware({ governor: env.governor })],
      checkpointer: new MemorySaver(),
    });
    const thread = { configurable: { thread_id: 'own-interrupt' } };
    script();
    const paused = await agent.invoke(input, thread);
    expect(paused.__interrupt__?.[0]?.value).toEqual({ confirm: EMAIL.to });
    await env.settled({ RISK_POINTS: 0 });
    const resumed = await agent.invoke(new Command({ resume: 'yes' }), thread);
    expect(resumed.messages.at(-1)?.content).toBe('Done.');
    expect(sent).toEqual([EMAIL.to]);
    await env.settled({ RISK_POINTS: POINTS });
  });

  it("approvals: 'message' answers with how to approve; the same call, made again after approval, runs once", async () => {
    const { agent, sent, ledger, settled, approvalsOf } = await agentOnSpentBudget({
      approvals: 'message',
      checkpointer: false,
    });
    script('It waits for approval.');
    const result = await agent.invoke(input);
    expect(interruptOf(result)).toBeUndefined();
    const [approval] = await approvalsOf();
    if (!approval) throw new Error('no approval');
    expect(toolMessages(result)).toEqual([
      `not executed yet: send_email waits for approval ${approval.approvalId} — the risk-point budget for ${RUN} is spent; approval ${approval.approvalId} is pending. An operator approves it with \`governor approvals approve ${approval.approvalId} --tenant acme\` (or rejects it with \`governor approvals reject ${approval.approvalId} --tenant acme\`); once approved, the same call with the same arguments runs once.`,
    ]);
    expect(sent).toEqual([]);
    await settled({ RISK_POINTS: 0 });
    await ledger.decideApproval({ tenant: 'acme', approvalId: approval.approvalId, decision: 'APPROVE' });
    server.reply(
      { toolCalls: [{ id: 'call_2', name: 'send_email', arguments: EMAIL }], usage: ASK },
      { text: 'Sent now.', usage: DONE },
    );
    const retried = await agent.invoke({ messages: [{ role: 'user', content: 'It is approved, send it.' }] });
    expect(retried.messages.at(-1)?.content).toBe('Sent now.');
    expect(sent).toEqual([EMAIL.to]);
    await settled({ RISK_POINTS: POINTS });
    expect(await approvalsOf()).toMatchObject([{ status: 'USED' }]);
  });

  it('interrupt without a checkpointer: a clear error, the tool not run, nothing charged', async () => {
    const { agent, sent, settled } = await agentOnSpentBudget({ checkpointer: false });
    script();
    const error = await agent.invoke(input).catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(/approvals: 'interrupt' needs a checkpointer/);
    expect(sent).toEqual([]);
    await settled({ RISK_POINTS: 0 });
  });

  it('a wrong approvals option is an InvalidRequestError naming it', async () => {
    const { governor } = await setup();
    expect(() => governorMiddleware({ governor, approvals: 'ask' as 'message' })).toThrow(
      /governorMiddleware\.approvals/,
    );
  });
});
