import {
  type ApprovalPolicy,
  ApprovalRequiredError,
  awaitApproval,
  BudgetDeniedError,
  createGovernor,
  governToolCall,
  InvalidRequestError,
  ManualClock,
  MemoryAuthority,
  parsePolicy,
} from '@governor/core';
import { describe, expect, it } from 'vitest';

const RUN = 'tenant:acme/workflow:support/run:r1';

async function setup(policy: ApprovalPolicy = { when: [{ tools: ['send_email'] }] }) {
  const clock = new ManualClock();
  const ledger = new MemoryAuthority({ clock });
  await ledger.createBudget({ scope: 'tenant:acme', unit: 'RISK_POINTS', allocated: 1_000 });
  await ledger.createBudget({ scope: RUN, unit: 'RISK_POINTS', allocated: 20 });
  const governor = createGovernor({
    authority: ledger,
    clock,
    subject: { tenant: 'acme', workflow: 'support', run: 'r1' },
    riskPoints: { rules: [{ name: 'send_email', points: 10 }] },
    loopBreaker: false,
    approvals: policy,
  });
  const sent: string[] = [];
  const send = (to: string, callId?: string) =>
    governToolCall({ governor }, { name: 'send_email', args: { to }, ...(callId ? { callId } : {}) }, () => {
      sent.push(to);
      return `sent to ${to}`;
    });
  return { clock, ledger, governor, sent, send };
}

const caught = async (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('approvals through the tool guard', () => {
  it('pauses the call the budget denies, then runs it once after approval, charging it once', async () => {
    const { ledger, sent, send } = await setup();
    await send('a@x');
    await send('b@x');
    const paused = await caught(send('c@x'));
    expect(paused).toBeInstanceOf(ApprovalRequiredError);
    const { approval } = paused as ApprovalRequiredError;
    expect(approval).toMatchObject({ status: 'PENDING', reasonCode: 'BUDGET_EXCEEDED', blockedScope: RUN });
    expect((paused as ApprovalRequiredError).reasonCode).toBe('APPROVAL_REQUIRED');
    // Asked again before a decision: the same approval, nothing ran, nothing held.
    const again = (await caught(send('c@x'))) as ApprovalRequiredError;
    expect(again.approval.approvalId).toBe(approval.approvalId);
    expect(sent).toEqual(['a@x', 'b@x']);
    expect(await ledger.listApprovals({ tenant: 'acme' })).toHaveLength(1);
    await ledger.decideApproval({ tenant: 'acme', approvalId: approval.approvalId, decision: 'APPROVE' });
    expect(await send('c@x')).toBe('sent to c@x');
    expect(sent).toEqual(['a@x', 'b@x', 'c@x']);
    expect(await ledger.getBudget({ scope: RUN, unit: 'RISK_POINTS' })).toMatchObject({
      allocated: 30,
      spent: 30,
      reserved: 0,
      remaining: 0,
    });
    expect(await ledger.getApproval('acme', approval.approvalId)).toMatchObject({ status: 'USED' });
    // The next identical call needs a new approval: an approval is for one call.
    const next = (await caught(send('c@x'))) as ApprovalRequiredError;
    expect(next.approval.approvalId).not.toBe(approval.approvalId);
    expect(sent).toHaveLength(3);
  });

  it('an approval covers its one call: a released approved call gives the raise back, the next call pauses', async () => {
    const { ledger, sent, governor } = await setup();
    const send = (
      to: string,
      execute: () => string = () => {
        sent.push(to);
        return `sent to ${to}`;
      },
    ) =>
      governToolCall({ governor }, { name: 'send_email', args: { to }, chargeFailure: () => false }, execute);
    await send('a@x');
    await send('b@x');
    const { approval } = (await caught(send('c@x'))) as ApprovalRequiredError;
    await ledger.decideApproval({ tenant: 'acme', approvalId: approval.approvalId, decision: 'APPROVE' });
    const failed = await caught(
      send('c@x', () => {
        throw new Error('smtp refused');
      }),
    );
    expect((failed as Error).message).toBe('smtp refused');
    expect(await ledger.getApproval('acme', approval.approvalId)).toMatchObject({ status: 'USED' });
    // Released: the run is back where it was before the approved call, nothing left over.
    expect(await ledger.getBudget({ scope: RUN, unit: 'RISK_POINTS' })).toMatchObject({
      allocated: 20,
      spent: 20,
      reserved: 0,
      remaining: 0,
    });
    // Another email runs on no approval's headroom: it pauses for its own.
    const fourth = await caught(send('d@x'));
    expect(fourth).toBeInstanceOf(ApprovalRequiredError);
    expect((fourth as ApprovalRequiredError).approval.approvalId).not.toBe(approval.approvalId);
    expect(sent).toEqual(['a@x', 'b@x']);
  });

  it('a rejected call is denied as rejected and never runs', async () => {
    const { ledger, sent, send } = await setup();
    await send('a@x');
    await send('b@x');
    const { approval } = (await caught(send('c@x'))) as ApprovalRequiredError;
    await ledger.decideApproval({
      tenant: 'acme',
      approvalId: approval.approvalId,
      decision: 'REJECT',
      actor: 'ops:ann',
      note: 'no more mail today',
    });
    const denied = await caught(send('c@x'));
    expect(denied).toBeInstanceOf(BudgetDeniedError);
    expect(denied).not.toBeInstanceOf(ApprovalRequiredError);
    expect((denied as BudgetDeniedError).reasonCode).toBe('APPROVAL_REJECTED');
    expect((denied as Error).message).toMatch(/rejected by ops:ann: no more mail today/);
    expect(sent).toEqual(['a@x', 'b@x']);
    expect((await ledger.getBudget({ scope: RUN, unit: 'RISK_POINTS' }))?.reserved).toBe(0);
  });

  it('keys approvals by the framework call id when there is one', async () => {
    const { ledger, send } = await setup();
    await send('a@x');
    await send('b@x');
    const one = (await caught(send('c@x', 'call_1'))) as ApprovalRequiredError;
    const two = (await caught(send('c@x', 'call_2'))) as ApprovalRequiredError;
    expect(one.approval.approvalId).not.toBe(two.approval.approvalId);
    expect((await caught(send('c@x', 'call_1'))) as ApprovalRequiredError).toMatchObject({
      approval: { approvalId: one.approval.approvalId },
    });
    expect(await ledger.listApprovals({ status: 'PENDING' })).toHaveLength(2);
  });

  it('leaves denials the policy does not name alone', async () => {
    const { ledger, governor, send } = await setup({
      when: [{ tools: ['send_email'], scope: 'tenant:acme/workflow:billing' }],
    });
    await send('a@x');
    await send('b@x');
    const denied = await caught(send('c@x'));
    expect(denied).toBeInstanceOf(BudgetDeniedError);
    expect(denied).not.toBeInstanceOf(ApprovalRequiredError);
    expect(await ledger.listApprovals()).toEqual([]);
    const other = await caught(
      governToolCall(
        { governor, riskPoints: { delete_file: 50 } },
        { name: 'delete_file', args: {} },
        () => 'x',
      ),
    );
    expect(other).not.toBeInstanceOf(ApprovalRequiredError);
  });

  it('awaitApproval waits on the governor clock until the operator decides', async () => {
    const { clock, ledger, governor, send } = await setup();
    await send('a@x');
    await send('b@x');
    const { approval } = (await caught(send('c@x'))) as ApprovalRequiredError;
    const waiting = awaitApproval(governor, approval, { pollMs: 1_000 });
    let settled = false;
    void waiting.then(() => {
      settled = true;
    });
    for (let i = 0; i < 5; i++) {
      await Promise.resolve();
      clock.advance(1_000);
    }
    expect(settled).toBe(false);
    await ledger.decideApproval({ tenant: 'acme', approvalId: approval.approvalId, decision: 'APPROVE' });
    for (let i = 0; i < 5 && !settled; i++) {
      clock.advance(1_000);
      await new Promise((r) => setImmediate(r));
    }
    expect((await waiting).status).toBe('APPROVED');
  });

  it('awaitApproval ends at once on abort (the clock standing still), PENDING, leaving no timer behind', async () => {
    const { clock, ledger, governor, send, sent } = await setup();
    await send('a@x');
    await send('b@x');
    const { approval } = (await caught(send('c@x'))) as ApprovalRequiredError;
    const abort = new AbortController();
    const waiting = awaitApproval(governor, approval, { pollMs: 60_000, signal: abort.signal });
    await new Promise((r) => setImmediate(r));
    expect(clock.pendingTimers).toBe(1);
    abort.abort();
    expect((await waiting).status).toBe('PENDING');
    expect(clock.pendingTimers).toBe(0);
    // Giving up waiting is not a decision: the operator's approval still lets the call run once.
    await ledger.decideApproval({ tenant: 'acme', approvalId: approval.approvalId, decision: 'APPROVE' });
    await send('c@x');
    expect(sent).toEqual(['a@x', 'b@x', 'c@x']);
    expect(await ledger.getBudget({ scope: RUN, unit: 'RISK_POINTS' })).toMatchObject({
      reserved: 0,
      spent: 30,
    });
    const aborted = AbortSignal.abort();
    expect((await awaitApproval(governor, approval, { signal: aborted })).status).toBe('USED');
  });

  it('refuses an approvals policy on an authority without approvals, and a malformed policy', async () => {
    const plain = { reserve: async () => ({}) } as never;
    expect(() =>
      createGovernor({ authority: plain, subject: { tenant: 'a' }, approvals: { when: [{}] } }),
    ).toThrow(/approvals: needs an authority that keeps approvals/);
    expect(() =>
      createGovernor({
        authority: new MemoryAuthority(),
        subject: { tenant: 'a' },
        approvals: { when: [{ reasons: ['BUDGET_FROZEN' as 'BUDGET_EXCEEDED'] }] },
      }),
    ).toThrow(InvalidRequestError);
    expect(() => parsePolicy({ approvals: { when: [] } })).toThrow(/approvals\.when/);
    expect(
      parsePolicy({ approvals: { when: [{ scope: 'tenant:*/run:*' }], ttlMs: 60_000 } }).approvals,
    ).toEqual({
      when: [{ scope: 'tenant:*/run:*' }],
      ttlMs: 60_000,
    });
  });
});

describe('approvals: retention', () => {
  it('drops approvals a day past their deadline; the same call then asks anew', async () => {
    const { clock, ledger, send } = await setup({ when: [{ tools: ['send_email'] }], ttlMs: 60_000 });
    await send('a@x');
    await send('b@x');
    const first = ((await caught(send('c@x'))) as ApprovalRequiredError).approval;
    clock.advance(60_000 + 86_400_000);
    // 256 requests later the store prunes: the first approval is gone, the others are kept.
    for (let i = 0; i < 256; i++) await caught(send(`other-${i}@x`));
    await expect(ledger.getApproval('acme', first.approvalId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await ledger.listApprovals({ tenant: 'acme', limit: 1_000 })).toHaveLength(256);
  });
});
