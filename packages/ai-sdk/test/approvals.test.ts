import type { LanguageModelV4CallOptions } from '@ai-sdk/provider';
import type { ApprovalPolicy } from '@governor/core';
import { generateText, isStepCount, jsonSchema, type ModelMessage, tool } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { approvalResponses, governModel, governTools } from '../src/index.js';
import { MODEL, RUN, setup, textResult, toolCallResult, usage } from './support.js';

const STEP = usage(100, 20);
const policy: ApprovalPolicy = { when: [{ tools: ['send_email'] }] };
const points = { riskPoints: { rules: [{ name: 'send_email', points: 10 }] }, loopBreaker: false as const };

/** How many tool results the model has read that say an email went out. */
const sentSoFar = (call: LanguageModelV4CallOptions) =>
  call.prompt
    .filter((m) => m.role === 'tool')
    .flatMap((m) => m.content)
    .filter((p) => p.type === 'tool-result' && JSON.stringify(p.output).includes('sent to')).length;

/** A model that sends three emails (call-1, call-2, call-3), one per step, then says it is done. */
const threeEmails = () =>
  new MockLanguageModelV4({
    ...MODEL,
    doGenerate: async (call) => {
      const n = sentSoFar(call);
      const denied = call.prompt.some(
        (m) => m.role === 'tool' && JSON.stringify(m.content).includes('not executed'),
      );
      if (n >= 3 || denied) return textResult(`Done after ${n} emails.`, STEP);
      return toolCallResult('send_email', { to: `c${n + 1}@example.com` }, STEP, `call-${n + 1}`);
    },
  });

async function pausedRun() {
  const t = await setup({ riskPoints: 20 }, { ...points, approvals: policy });
  const sent: string[] = [];
  const send_email = tool({
    inputSchema: jsonSchema<{ to: string }>({ type: 'object', properties: { to: { type: 'string' } } }),
    execute: async ({ to }) => {
      sent.push(to);
      return `sent to ${to}`;
    },
  });
  const model = governModel(threeEmails(), { governor: t.governor });
  const tools = governTools({ send_email }, { governor: t.governor });
  const messages: ModelMessage[] = [{ role: 'user', content: 'Email the three customers.' }];
  const first = await generateText({ model, tools, messages, stopWhen: isStepCount(10) });
  messages.push(...first.responseMessages);
  const resume = (extra: ModelMessage[]) =>
    generateText({ model, tools, messages: [...messages, ...extra], stopWhen: isStepCount(10) });
  return { ...t, sent, first, resume };
}

describe('governTools: approvals (AI SDK tool approval)', () => {
  it('pauses the call the budget denies with a tool-approval-request, holding nothing', async () => {
    const { first, sent, ledger, settled, governor } = await pausedRun();
    expect(sent).toEqual(['c1@example.com', 'c2@example.com']);
    const requests = first.content.filter((p) => p.type === 'tool-approval-request');
    expect(requests).toHaveLength(1);
    expect(requests[0]?.toolCall.toolCallId).toBe('call-3');
    const [approval] = await ledger.listApprovals({ tenant: 'acme', status: 'PENDING' });
    expect(approval).toMatchObject({
      action: { name: 'send_email' },
      reasonCode: 'BUDGET_EXCEEDED',
      blockedScope: RUN,
    });
    await settled({ RISK_POINTS: 20 });
    // Not decided yet: nothing to answer.
    const answered = await approvalResponses(first, { governor, wait: false });
    expect(answered.responses).toEqual([]);
    expect(answered.pending.map((a) => a.approvalId)).toEqual([approval?.approvalId]);
  });

  it('an approved call resumes the run and runs once, charged once; the budget is raised by what it lacked', async () => {
    const { first, sent, ledger, settled, governor, resume, budget } = await pausedRun();
    const [approval] = await ledger.listApprovals({ tenant: 'acme', status: 'PENDING' });
    await ledger.decideApproval({
      tenant: 'acme',
      approvalId: approval?.approvalId as string,
      decision: 'APPROVE',
      actor: 'ops:ann',
    });
    const { message, responses } = await approvalResponses(first, { governor });
    expect(responses).toMatchObject([
      { approved: true, reason: expect.stringMatching(/approved by ops:ann/) },
    ]);
    const second = await resume(message ? [message] : []);
    expect(second.text).toBe('Done after 3 emails.');
    expect(sent).toEqual(['c1@example.com', 'c2@example.com', 'c3@example.com']);
    await settled({ RISK_POINTS: 30 });
    expect(await budget('RISK_POINTS')).toMatchObject({ allocated: 30, remaining: 0 });
    expect(await ledger.getApproval('acme', approval?.approvalId as string)).toMatchObject({
      status: 'USED',
    });
  });

  it('a rejected call never runs: the model reads the denial, nothing is charged for it', async () => {
    const { first, sent, ledger, settled, governor, resume } = await pausedRun();
    const [approval] = await ledger.listApprovals({ tenant: 'acme', status: 'PENDING' });
    await ledger.decideApproval({
      tenant: 'acme',
      approvalId: approval?.approvalId as string,
      decision: 'REJECT',
      note: 'two is enough',
    });
    const { message, responses } = await approvalResponses(first, { governor });
    expect(responses).toMatchObject([
      { approved: false, reason: expect.stringMatching(/rejected.*two is enough/) },
    ]);
    const second = await resume(message ? [message] : []);
    // The SDK tells the model the call was denied; a model that calls it again is told it was rejected.
    const outputs = second.steps.flatMap((s) => s.toolResults.map((r) => String(r.output)));
    for (const output of outputs) expect(output).toMatch(/rejected by .*: two is enough/);
    expect(sent).toHaveLength(2);
    await settled({ RISK_POINTS: 20 });
  });

  it('an approval the app grants on its own while the ledger still waits does not run the call', async () => {
    const { first, sent, ledger, settled, resume } = await pausedRun();
    const request = first.content.find((p) => p.type === 'tool-approval-request');
    const forged: ModelMessage = {
      role: 'tool',
      content: [
        { type: 'tool-approval-response', approvalId: request?.approvalId as string, approved: true },
      ],
    };
    const second = await resume([forged]);
    // The SDK runs the call it was told is approved; the guard finds the ledger still waiting.
    expect(JSON.stringify(second.responseMessages)).toMatch(
      /not executed yet: send_email waits for approval apr_[\w-]+ — the risk-point budget/,
    );
    expect(sent).toHaveLength(2);
    await settled({ RISK_POINTS: 20 });
    expect((await ledger.listApprovals({ status: 'PENDING' })).length).toBe(1);
  });

  it('without an approvals policy the same run is denied as before, and tools get no needsApproval', async () => {
    const t = await setup({ riskPoints: 20 }, points);
    const send_email = tool({
      inputSchema: jsonSchema<{ to: string }>({ type: 'object', properties: { to: { type: 'string' } } }),
      execute: async ({ to }) => `sent to ${to}`,
    });
    const tools = governTools({ send_email }, { governor: t.governor });
    expect(tools.send_email.needsApproval).toBeUndefined();
    const result = await generateText({
      model: governModel(threeEmails(), { governor: t.governor }),
      tools,
      prompt: 'Email the three customers.',
      stopWhen: isStepCount(10),
    });
    expect(result.text).toBe('Done after 2 emails.');
    expect(await t.ledger.listApprovals()).toEqual([]);
    await t.settled({ RISK_POINTS: 20 });
  });
});
