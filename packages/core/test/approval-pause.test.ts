import {
  type ApprovalRequiredError,
  approvalPrompt,
  createGovernor,
  guardToolCall,
  ManualClock,
  MemoryAuthority,
} from '@governor/core';
import { describe, expect, it } from 'vitest';

const RUN = 'tenant:acme/workflow:support/run:r1';

/** A run with 5 of the 10 risk points send_email costs, approvals for send_email. */
async function setup() {
  const clock = new ManualClock();
  const ledger = new MemoryAuthority({ clock });
  await ledger.createBudget({ scope: RUN, unit: 'RISK_POINTS', allocated: 5 });
  const governor = createGovernor({
    authority: ledger,
    clock,
    subject: { tenant: 'acme', workflow: 'support', run: 'r1' },
    riskPoints: { rules: [{ name: 'send_email', points: 10 }] },
    loopBreaker: false,
    approvals: { when: [{ tools: ['send_email'] }] },
  });
  const sent: string[] = [];
  const call = { name: 'send_email', args: { to: 'a@x' } };
  const send = (waitForApproval?: (paused: ApprovalRequiredError) => Promise<'retry' | 'answer'>) =>
    guardToolCall({ governor }, { ...call, waitForApproval }, () => {
      sent.push('a@x');
      return 'sent';
    });
  const budget = () => ledger.getBudget({ scope: RUN, unit: 'RISK_POINTS' });
  return { ledger, governor, sent, call, send, budget };
}

describe('guardToolCall with waitForApproval', () => {
  it('retry after the decision: the call runs once, charged once, its approval USED', async () => {
    const { ledger, sent, call, send, budget } = await setup();
    const prompts: unknown[] = [];
    const result = await send(async (paused) => {
      prompts.push(approvalPrompt(paused, call));
      const { tenant, approvalId } = paused.approval;
      await ledger.decideApproval({ tenant, approvalId, decision: 'APPROVE', actor: 'mcp-host:x' });
      return 'retry';
    });
    expect(result).toBe('sent');
    expect(sent).toEqual(['a@x']);
    expect(prompts).toEqual([
      {
        approvalId: expect.stringMatching(/^apr_/),
        tenant: 'acme',
        tool: 'send_email',
        args: { to: 'a@x' },
        reasonCode: 'BUDGET_EXCEEDED',
        reason: `the risk-point budget for ${RUN} is spent`,
        scope: RUN,
        estimate: { unit: 'RISK_POINTS', amount: 10 },
        expiresAtMs: expect.any(Number),
        approve: expect.stringMatching(/^governor approvals approve apr_\S+ --tenant acme$/),
        reject: expect.stringMatching(/^governor approvals reject apr_\S+ --tenant acme$/),
      },
    ]);
    expect(await budget()).toMatchObject({ allocated: 10, spent: 10, reserved: 0 });
    expect(await ledger.listApprovals()).toMatchObject([{ status: 'USED', decidedBy: 'mcp-host:x' }]);
  });

  it('rejected meanwhile: the retry answers the rejection; answer: the paused message', async () => {
    const { ledger, sent, send, budget } = await setup();
    const rejected = await send(async (paused) => {
      const { tenant, approvalId } = paused.approval;
      await ledger.decideApproval({ tenant, approvalId, decision: 'REJECT', actor: 'ops' });
      return 'retry';
    });
    expect(rejected).toMatch(/^not executed: send_email was denied — approval apr_\S+ was rejected by ops\./);
    const other = await setup();
    const waits = await other.send(async () => 'answer');
    const [approval] = await other.ledger.listApprovals();
    expect(waits).toBe(
      `not executed yet: send_email waits for approval ${approval?.approvalId} — the risk-point budget for ${RUN} is spent; approval ${approval?.approvalId} is pending. An operator approves it with \`governor approvals approve ${approval?.approvalId} --tenant acme\` (or rejects it with \`governor approvals reject ${approval?.approvalId} --tenant acme\`); once approved, the same call with the same arguments runs once.`,
    );
    expect(sent).toEqual([]);
    expect(await budget()).toMatchObject({ spent: 0, reserved: 0 });
  });

  it('an approved call the ledger still denies (budget frozen) answers that denial, waited on once', async () => {
    const { ledger, sent, send } = await setup();
    let waits = 0;
    const answer = await send(async (paused) => {
      waits++;
      const { tenant, approvalId } = paused.approval;
      await ledger.decideApproval({ tenant, approvalId, decision: 'APPROVE' });
      await ledger.freeze({ scope: RUN, unit: 'RISK_POINTS' });
      return 'retry';
    });
    expect(waits).toBe(1);
    expect(answer).toBe(
      `not executed: send_email was denied — the risk-point budget for ${RUN} refused it (BUDGET_FROZEN). Do not call it again.`,
    );
    expect(sent).toEqual([]);
  });
});
