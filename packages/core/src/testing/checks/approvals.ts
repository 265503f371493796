import { describe, expect, it } from 'vitest';
import { APPROVAL_METADATA_KEY, type ApprovalLedger, type ApprovalRequest } from '../../approvals/types.js';
import type { AuditTrail } from '../../audit/types.js';
import type { ReservationCreateRequest } from '../../protocol/messages.js';
import type { Balance } from '../../protocol/types.js';
import { allAuditRecords, assertAuditReplays } from '../audit-invariant.js';
import { expectError } from '../expect-error.js';
import { type FreshLedger, key, SCOPES, SUBJECT, type TestLedger, USD_UNIT } from '../harness.js';

const RUN = SCOPES[2];
const email = { kind: 'tool.call', name: 'send_email' };
const HOUR = 3_600_000;

const approvals = (t: TestLedger) => t.ledger as unknown as ApprovalLedger;

const request = (amount: number, extra: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  key: key('call'),
  subject: SUBJECT,
  action: email,
  estimate: { unit: USD_UNIT, amount },
  reasonCode: 'BUDGET_EXCEEDED',
  blockedScope: RUN,
  ttlMs: HOUR,
  ...extra,
});

const withApproval = (approvalId: string, extra: Partial<ReservationCreateRequest> = {}) => ({
  action: email,
  metadata: { [APPROVAL_METADATA_KEY]: approvalId },
  ...extra,
});

const approve = (t: TestLedger, approvalId: string, actor = 'operator:ann') =>
  approvals(t).decideApproval({ tenant: 'acme', approvalId, decision: 'APPROVE', actor });

/** Approvals: asked for once per call, decided by an operator, used once by the reserve they admit. */
export function approvalChecks(fresh: FreshLedger, options: { audit?: boolean; rateLimits?: boolean } = {}) {
  it('asks once per key, approves, and admits the call once, raising the blocking budget by what it lacks', async () => {
    const t = await fresh();
    await t.budgets(1_000, 1_000, 100);
    expect(await t.reserve(60, { action: email })).toMatchObject({ decision: 'ALLOW' });
    expect(await t.reserve(60, { action: email })).toMatchObject({ decision: 'DENY', blockedScope: RUN });
    const req = request(60);
    const asked = await approvals(t).requestApproval(req);
    expect(asked).toMatchObject({
      status: 'PENDING',
      tenant: 'acme',
      scopePath: RUN,
      estimate: req.estimate,
    });
    expect(asked.approvalId).toMatch(/^apr_/);
    expect(asked.expiresAtMs - asked.createdAtMs).toBe(HOUR);
    // Asking again for the same call is the same approval.
    expect((await approvals(t).requestApproval(req)).approvalId).toBe(asked.approvalId);
    // Pending: a reserve with it is decided as if it had none.
    expect(await t.reserve(60, withApproval(asked.approvalId))).toMatchObject({ decision: 'DENY' });
    const approved = await approve(t, asked.approvalId);
    expect(approved).toMatchObject({ status: 'APPROVED', decidedBy: 'operator:ann' });
    const admitted = await t.reserve(60, withApproval(asked.approvalId));
    expect(admitted.decision).toBe('ALLOW');
    // The run had 40 left of 100: raised by 20, exactly what the call lacked; the others had room.
    expect(await t.budgetOf(RUN)).toMatchObject({ allocated: 120, reserved: 120, remaining: 0 });
    expect(await t.budgetOf(SCOPES[0])).toMatchObject({ allocated: 1_000, reserved: 120 });
    const used = await approvals(t).getApproval('acme', asked.approvalId);
    expect(used).toMatchObject({ status: 'USED', reservationId: admitted.reservationId });
    // Used once: another reserve with it is denied, and the budget is not raised again.
    expect(await t.reserve(60, withApproval(asked.approvalId))).toMatchObject({ decision: 'DENY' });
    expect((await t.budgetOf(RUN)).allocated).toBe(120);
    // It used 50 of the 60: 40 of the run's room and 10 of the raise, which keeps only those 10.
    await t.commit(admitted.reservationId as string, 50);
    expect(await t.budgetOf(RUN)).toMatchObject({ allocated: 110, spent: 50, reserved: 60, remaining: 0 });
    // The key's approval is used: a new request for it is a new approval.
    const again = await approvals(t).requestApproval(req);
    expect(again.approvalId).not.toBe(asked.approvalId);
    expect((await approvals(t).findApproval('acme', req.key))?.approvalId).toBe(again.approvalId);
    await t.check();
    if (options.audit !== false) {
      const trail = t.ledger as unknown as AuditTrail;
      const page = await trail.queryAudit({ tenant: 'acme' });
      const ops = page.records.map((r) => r.operation);
      expect(ops.filter((o) => o === 'approval.request')).toHaveLength(2);
      expect(ops.filter((o) => o === 'approval.approve')).toHaveLength(1);
      const use = page.records.find(
        (r) => r.reservationId === admitted.reservationId && r.operation === 'reserve',
      );
      expect(use?.detail).toEqual({ approvalId: asked.approvalId });
      expect(use?.scopes.find((s) => s.scope === RUN)?.delta).toEqual({ allocated: 20, reserved: 60 });
      await assertAuditReplays(t.ledger);
    }
  });

  describe('gives back at settlement what the approved call did not use of its raise', () => {
    const WORKFLOW = SCOPES[1];
    /** 60 spent of the workflow's 90 and the run's 100; an approved call of 60 raises them by 30 and 20. */
    const approvedCall = async (extra: Partial<ReservationCreateRequest> = {}) => {
      const t = await fresh();
      await t.budgets(1_000, 90, 100);
      await t.commit(await t.reserveId(60, { action: email }), 60);
      const asked = await approvals(t).requestApproval(request(60));
      await approve(t, asked.approvalId);
      const id = await t.reserveId(60, withApproval(asked.approvalId, extra));
      expect(await t.budgetOf(WORKFLOW)).toMatchObject({ allocated: 120, reserved: 60, remaining: 0 });
      expect(await t.budgetOf(RUN)).toMatchObject({ allocated: 120, reserved: 60, remaining: 0 });
      return { t, id };
    };
    const figures = async (t: TestLedger) => ({
      tenant: await t.budgetOf(SCOPES[0]),
      workflow: await t.budgetOf(WORKFLOW),
      run: await t.budgetOf(RUN),
    });
    const allocatedIn = (balances: Balance[] | undefined, scope: string) =>
      balances?.find((b) => b.scope === scope)?.allocated?.amount;
    /** The settlement's audit record shows the give-back, and the trail rebuilds every budget. */
    const auditShows = async (
      t: TestLedger,
      id: string,
      operation: string,
      deltas: Record<string, object>,
    ) => {
      if (options.audit === false) return;
      const records = await allAuditRecords(t.ledger);
      const settled = records.find((r) => r.reservationId === id && r.operation === operation);
      for (const [scope, delta] of Object.entries(deltas))
        expect(settled?.scopes.find((s) => s.scope === scope)?.delta, scope).toEqual(delta);
      await assertAuditReplays(t.ledger);
    };

    it('release: every raised budget is back where it was before the approved call', async () => {
      const { t, id } = await approvedCall();
      const released = await t.release(id);
      if (released.balances) {
        expect(allocatedIn(released.balances, WORKFLOW)).toBe(90);
        expect(allocatedIn(released.balances, RUN)).toBe(100);
      }
      const after = await figures(t);
      expect(after.tenant).toMatchObject({ allocated: 1_000, spent: 60, reserved: 0, remaining: 940 });
      expect(after.workflow).toMatchObject({ allocated: 90, spent: 60, reserved: 0, remaining: 30 });
      expect(after.run).toMatchObject({ allocated: 100, spent: 60, reserved: 0, remaining: 40 });
      // The next call of 60 has no approval's headroom to run on.
      expect(await t.reserve(60, { action: email })).toMatchObject({
        decision: 'DENY',
        blockedScope: WORKFLOW,
      });
      await t.check();
      await auditShows(t, id, 'release', {
        [SCOPES[0]]: { reserved: -60 },
        [WORKFLOW]: { allocated: -30, reserved: -60 },
        [RUN]: { allocated: -20, reserved: -60 },
      });
    });

    it('expiry: the raise goes back with the estimate', async () => {
      const { t, id } = await approvedCall({ ttlMs: 10_000, gracePeriodMs: 5_000 });
      await t.advance(15_001);
      await t.ledger.sweepExpired();
      await expectError(t.ledger.getReservation(id), 'RESERVATION_EXPIRED');
      const after = await figures(t);
      expect(after.workflow).toMatchObject({ allocated: 90, spent: 60, reserved: 0, remaining: 30 });
      expect(after.run).toMatchObject({ allocated: 100, spent: 60, reserved: 0, remaining: 40 });
      await t.check();
      await auditShows(t, id, 'expire', {
        [WORKFLOW]: { allocated: -30, reserved: -60 },
        [RUN]: { allocated: -20, reserved: -60 },
      });
    });

    it('a commit of less than the estimate keeps of the raise only what it used', async () => {
      const { t, id } = await approvedCall();
      // 25 of 60: within the room both had (30 and 40), so neither keeps any of its raise.
      const committed = await t.commit(id, 25);
      if (committed.balances) expect(allocatedIn(committed.balances, RUN)).toBe(100);
      const after = await figures(t);
      expect(after.workflow).toMatchObject({ allocated: 90, spent: 85, reserved: 0, remaining: 5 });
      expect(after.run).toMatchObject({ allocated: 100, spent: 85, reserved: 0, remaining: 15 });
      await t.check();
      await auditShows(t, id, 'commit', {
        [WORKFLOW]: { allocated: -30, spent: 25, reserved: -60 },
        [RUN]: { allocated: -20, spent: 25, reserved: -60 },
      });
    });

    it('a commit past the room a budget had keeps the part of the raise it used', async () => {
      const { t, id } = await approvedCall();
      await t.commit(id, 50); // 20 past the workflow's room, 10 past the run's
      const after = await figures(t);
      expect(after.workflow).toMatchObject({ allocated: 110, spent: 110, reserved: 0, remaining: 0 });
      expect(after.run).toMatchObject({ allocated: 110, spent: 110, reserved: 0, remaining: 0 });
      await t.check();
      await auditShows(t, id, 'commit', {
        [WORKFLOW]: { allocated: -10, spent: 50, reserved: -60 },
        [RUN]: { allocated: -10, spent: 50, reserved: -60 },
      });
    });

    it('a commit of the whole estimate keeps the whole raise: it was used', async () => {
      const { t, id } = await approvedCall();
      await t.commit(id, 60);
      const after = await figures(t);
      expect(after.workflow).toMatchObject({ allocated: 120, spent: 120, reserved: 0, remaining: 0 });
      expect(after.run).toMatchObject({ allocated: 120, spent: 120, reserved: 0, remaining: 0 });
      await t.check();
      await auditShows(t, id, 'commit', {
        [WORKFLOW]: { spent: 60, reserved: -60 },
        [RUN]: { spent: 60, reserved: -60 },
      });
    });

    it('an allocation changed meanwhile: never gives back more than leaves remaining at 0', async () => {
      const { t, id } = await approvedCall();
      // The operator cuts the run to 100 (remaining −20) and funds the workflow by 50.
      await t.ledger.setAllocation({ scope: RUN, unit: USD_UNIT, amount: 100 });
      await t.ledger.fund({ scope: WORKFLOW, unit: USD_UNIT, amount: 50 });
      await t.commit(id, 30);
      const after = await figures(t);
      // The run: 10 remain after the commit, so only 10 of its raise go back.
      expect(after.run).toMatchObject({ allocated: 90, spent: 90, reserved: 0, remaining: 0 });
      // The workflow: its whole raise goes back; the funding stays.
      expect(after.workflow).toMatchObject({ allocated: 140, spent: 90, reserved: 0, remaining: 50 });
      await t.check();
      await auditShows(t, id, 'commit', {
        [WORKFLOW]: { allocated: -30, spent: 30, reserved: -60 },
        [RUN]: { allocated: -10, spent: 30, reserved: -60 },
      });
    });

    it('an allocation changed meanwhile, then released: the invariant holds', async () => {
      const { t, id } = await approvedCall();
      await t.ledger.setAllocation({ scope: RUN, unit: USD_UNIT, amount: 90 });
      await t.release(id);
      // 30 remain after the release: the whole raise of 20 goes back.
      expect(await t.budgetOf(RUN)).toMatchObject({ allocated: 70, spent: 60, reserved: 0, remaining: 10 });
      await t.check();
      await auditShows(t, id, 'release', { [RUN]: { allocated: -20, reserved: -60 } });
    });
  });

  it('admits only the call it was asked for: same scope path, action and unit, at most its estimate', async () => {
    const t = await fresh();
    await t.budgets(1_000, 1_000, 10);
    const asked = await approvals(t).requestApproval(request(50));
    await approve(t, asked.approvalId);
    const other = { tenant: 'acme', workflow: 'support', run: 'r2' };
    await t.budget('tenant:acme/workflow:support/run:r2', 10);
    expect(
      await t.reserve(50, withApproval(asked.approvalId, { action: { kind: 'tool.call', name: 'x' } })),
    ).toMatchObject({ decision: 'DENY' });
    expect(await t.reserve(51, withApproval(asked.approvalId))).toMatchObject({ decision: 'DENY' });
    expect(await t.reserve(50, withApproval(asked.approvalId, { subject: other }))).toMatchObject({
      decision: 'DENY',
    });
    // A dry run never uses it.
    expect(await t.reserve(50, withApproval(asked.approvalId, { dryRun: true }))).toMatchObject({
      decision: 'DENY',
    });
    expect((await t.budgetOf(RUN)).allocated).toBe(10);
    expect((await approvals(t).getApproval('acme', asked.approvalId)).status).toBe('APPROVED');
    expect((await t.reserve(30, withApproval(asked.approvalId))).decision).toBe('ALLOW');
    expect(await t.budgetOf(RUN)).toMatchObject({ allocated: 30, reserved: 30 });
    await t.check();
  });

  if (options.rateLimits !== false)
    it('lifts the rate limit for the one call it admits, which still counts in the window', async () => {
      const t = await fresh();
      await t.budget(SCOPES[0], 1_000);
      await t.budget(RUN, 1_000, { rateLimits: [{ action: 'send_email', maxCalls: 1, windowMs: 60_000 }] });
      expect((await t.reserve(5, { action: email })).decision).toBe('ALLOW');
      expect(await t.reserve(5, { action: email })).toMatchObject({ reasonCode: 'RATE_LIMITED' });
      const asked = await approvals(t).requestApproval(request(5, { reasonCode: 'RATE_LIMITED' }));
      await approve(t, asked.approvalId);
      expect((await t.reserve(5, withApproval(asked.approvalId))).decision).toBe('ALLOW');
      expect((await t.budgetOf(RUN)).allocated).toBe(1_000); // room enough: nothing raised
      expect(await t.reserve(5, { action: email })).toMatchObject({ reasonCode: 'RATE_LIMITED' });
      await t.advance(60_000);
      expect((await t.reserve(5, { action: email })).decision).toBe('ALLOW');
      await t.check();
    });

  it('does not raise a frozen budget: the approval stays usable', async () => {
    const t = await fresh();
    await t.budgets(1_000, 1_000, 10);
    const asked = await approvals(t).requestApproval(request(50));
    await approve(t, asked.approvalId);
    await t.ledger.freeze({ scope: SCOPES[1], unit: USD_UNIT });
    expect(await t.reserve(50, withApproval(asked.approvalId))).toMatchObject({
      reasonCode: 'BUDGET_FROZEN',
    });
    expect((await t.budgetOf(RUN)).allocated).toBe(10);
    await t.ledger.unfreeze({ scope: SCOPES[1], unit: USD_UNIT });
    expect((await t.reserve(50, withApproval(asked.approvalId))).decision).toBe('ALLOW');
    await t.check();
  });

  it('rejects, expires by the ledger clock, and refuses a second decision', async () => {
    const t = await fresh();
    await t.budgets(1_000, 1_000, 10);
    const a = await approvals(t).requestApproval(request(50));
    const rejected = await approvals(t).decideApproval({
      tenant: 'acme',
      approvalId: a.approvalId,
      decision: 'REJECT',
      actor: 'operator:bob',
      note: 'not this week',
    });
    expect(rejected).toMatchObject({ status: 'REJECTED', decidedBy: 'operator:bob', note: 'not this week' });
    await expectError(approve(t, a.approvalId), 'INVALID_REQUEST', /REJECTED/);
    expect(await t.reserve(50, withApproval(a.approvalId))).toMatchObject({ decision: 'DENY' });
    // A rejected call stays rejected for its key.
    expect((await approvals(t).requestApproval({ ...request(50), key: a.key })).approvalId).toBe(
      a.approvalId,
    );
    await t.advance(1);
    const b = await approvals(t).requestApproval(request(50));
    await t.advance(HOUR - 1);
    expect((await approvals(t).getApproval('acme', b.approvalId)).status).toBe('PENDING');
    await t.advance(1);
    expect((await approvals(t).getApproval('acme', b.approvalId)).status).toBe('EXPIRED');
    await expectError(approve(t, b.approvalId), 'INVALID_REQUEST', /EXPIRED/);
    // An approval is usable for its ttl from the decision, then expires unused.
    const c = await approvals(t).requestApproval(request(50));
    await t.advance(HOUR - 10);
    await approve(t, c.approvalId);
    await t.advance(HOUR - 1);
    expect((await approvals(t).getApproval('acme', c.approvalId)).status).toBe('APPROVED');
    await t.advance(1);
    expect(await t.reserve(50, withApproval(c.approvalId))).toMatchObject({ decision: 'DENY' });
    expect((await approvals(t).getApproval('acme', c.approvalId)).status).toBe('EXPIRED');
    const pending = await approvals(t).listApprovals({ tenant: 'acme', status: 'EXPIRED' });
    expect(pending.map((x) => x.approvalId).sort()).toEqual([b.approvalId, c.approvalId].sort());
    expect((await approvals(t).listApprovals({ tenant: 'acme' })).map((x) => x.approvalId)).toEqual([
      c.approvalId,
      b.approvalId,
      a.approvalId,
    ]);
    expect(await approvals(t).listApprovals({ tenant: 'other' })).toEqual([]);
    expect(await approvals(t).findApproval('acme', 'no-such-key')).toBeUndefined();
    await t.check();
  });

  it('validates every approval call and names the field', async () => {
    const t = await fresh();
    const l = approvals(t);
    await expectError(l.requestApproval({ ...request(5), ttlMs: 5 }), 'INVALID_REQUEST', /ttlMs/);
    await expectError(
      l.requestApproval({ ...request(5), subject: { tenant: '' } }),
      'INVALID_REQUEST',
      /subject/,
    );
    await expectError(
      l.decideApproval({ tenant: 'acme', approvalId: 'nope', decision: 'APPROVE' }),
      'INVALID_REQUEST',
      /approvalId/,
    );
    await expectError(
      l.decideApproval({ tenant: 'acme', approvalId: 'apr_1', decision: 'MAYBE' as 'APPROVE' }),
      'INVALID_REQUEST',
      /decision/,
    );
    await expectError(l.getApproval('acme', 'apr_missing'), 'NOT_FOUND');
    const a = await l.requestApproval(request(5));
    await expectError(l.getApproval('other', a.approvalId), 'NOT_FOUND');
    await expectError(
      l.decideApproval({ tenant: 'other', approvalId: a.approvalId, decision: 'APPROVE' }),
      'NOT_FOUND',
    );
    await expectError(l.listApprovals({ status: 'DONE' as 'USED' }), 'INVALID_REQUEST', /status/);
  });
}
