/**
 * Approvals on Redis beyond the conformance checks: the tool guard in one
 * process, the operator's decision from another RedisAuthority (as the CLI
 * is), 50 concurrent reserves racing for one approval (it admits exactly
 * one), and the same call asked for by 20 callers at once (one approval).
 */
import { ApprovalRequiredError, createGovernor, governToolCall } from '@governor/core';
import { assertLedgerInvariant } from '@governor/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPrefix, testLedger, uniquePrefix } from './support.js';

const RUN = 'tenant:acme/run:r1';
const prefixes: string[] = [];
const ledgers: ReturnType<typeof testLedger>[] = [];
function fresh() {
  const prefix = uniquePrefix('approvals');
  const app = testLedger(prefix);
  const operator = testLedger(prefix);
  prefixes.push(prefix, prefix);
  ledgers.push(app, operator);
  return { app, operator };
}
afterAll(async () => {
  for (const [i, l] of ledgers.entries()) {
    await dropPrefix(l, prefixes[i] as string);
    await l.quit();
  }
});

async function emailRun() {
  const { app, operator } = fresh();
  await app.createBudget({ scope: 'tenant:acme', unit: 'RISK_POINTS', allocated: 1_000 });
  await app.createBudget({ scope: RUN, unit: 'RISK_POINTS', allocated: 20 });
  const governor = createGovernor({
    authority: app,
    subject: { tenant: 'acme', run: 'r1' },
    riskPoints: { rules: [{ name: 'send_email', points: 10 }] },
    loopBreaker: false,
    approvals: { when: [{ tools: ['send_email'] }] },
  });
  const sent: string[] = [];
  const send = (to: string) =>
    governToolCall({ governor }, { name: 'send_email', args: { to } }, () => {
      sent.push(to);
      return to;
    });
  return { app, operator, sent, send };
}

describe('RedisAuthority: approvals across processes', () => {
  it('pauses in the app, is approved by another instance, and the retried call runs once', async () => {
    const { app, operator, sent, send } = await emailRun();
    await send('a');
    await send('b');
    const paused = await send('c').catch((e: unknown) => e);
    expect(paused).toBeInstanceOf(ApprovalRequiredError);
    const [pending] = await operator.listApprovals({ status: 'PENDING' });
    expect(pending?.approvalId).toBe((paused as ApprovalRequiredError).approval.approvalId);
    await operator.decideApproval({
      tenant: 'acme',
      approvalId: pending?.approvalId as string,
      decision: 'APPROVE',
    });
    expect(await send('c')).toBe('c');
    expect(sent).toEqual(['a', 'b', 'c']);
    expect(await app.getBudget({ scope: RUN, unit: 'RISK_POINTS' })).toMatchObject({
      allocated: 30,
      spent: 30,
      reserved: 0,
    });
    expect((await operator.getApproval('acme', pending?.approvalId as string)).status).toBe('USED');
    await assertLedgerInvariant(app);
  });

  it('50 concurrent reserves with one approval: exactly one is admitted, the budget raised once', async () => {
    const { app, operator } = fresh();
    await app.createBudget({ scope: RUN.split('/')[0] as string, unit: 'RISK_POINTS', allocated: 1_000 });
    await app.createBudget({ scope: RUN, unit: 'RISK_POINTS', allocated: 5 });
    const subject = { tenant: 'acme', run: 'r1' };
    const action = { kind: 'tool.call', name: 'send_email' };
    const asked = await app.requestApproval({
      key: 'call-1',
      subject,
      action,
      estimate: { unit: 'RISK_POINTS', amount: 10 },
      reasonCode: 'BUDGET_EXCEEDED',
      ttlMs: 60_000,
    });
    await operator.decideApproval({ tenant: 'acme', approvalId: asked.approvalId, decision: 'APPROVE' });
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        app.reserve({
          idempotencyKey: `race-${i}`,
          subject,
          action,
          estimate: { unit: 'RISK_POINTS', amount: 10 },
          metadata: { 'governor.approval': asked.approvalId },
        }),
      ),
    );
    expect(answers.filter((a) => a.decision === 'ALLOW')).toHaveLength(1);
    expect(await app.getBudget({ scope: RUN, unit: 'RISK_POINTS' })).toMatchObject({
      allocated: 10,
      reserved: 10,
    });
    await assertLedgerInvariant(app);
  });

  it('20 callers asking for the same call at once get one approval', async () => {
    const { app } = fresh();
    const request = {
      key: 'same-call',
      subject: { tenant: 'acme', run: 'r1' },
      action: { kind: 'tool.call', name: 'send_email' },
      estimate: { unit: 'RISK_POINTS' as const, amount: 10 },
      reasonCode: 'BUDGET_EXCEEDED',
      ttlMs: 60_000,
    };
    const asked = await Promise.all(Array.from({ length: 20 }, () => app.requestApproval(request)));
    expect(new Set(asked.map((a) => a.approvalId)).size).toBe(1);
    expect(await app.listApprovals({ tenant: 'acme' })).toHaveLength(1);
  });
});
