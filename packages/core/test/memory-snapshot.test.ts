/** MemoryAuthority.snapshot() / restore(): the whole ledger as plain data, replays included. */
import { expect, it } from 'vitest';
import { ManualClock, MemoryAuthority } from '../src/index.js';
import { assertLedgerInvariant } from '../src/testing/index.js';

const USD = 'USD_MICROCENTS' as const;
const subject = { tenant: 'acme', workflow: 'support' };
const action = { kind: 'tool.call', name: 'x' };

it('restores budgets, templates, policy, reservations and replays from a JSON snapshot', async () => {
  const clock = new ManualClock();
  const before = new MemoryAuthority({ clock });
  await before.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 1_000, caps: { maxTokens: 9 } });
  await before.addTemplate({ match: 'tenant:*/workflow:support', unit: USD, allocated: 500 });
  await before.setDegradationPolicy({ tiers: [{ atPercent: 50, caps: { maxTokens: 5 } }] });
  const reserve = {
    idempotencyKey: 'r1',
    subject,
    action,
    estimate: { unit: USD, amount: 100 },
    metadata: { a: [1] },
  };
  const live = await before.reserve(reserve);
  const settled = await before.reserve({ ...reserve, idempotencyKey: 'r2' });
  const commit = { idempotencyKey: 'c2', actual: { unit: USD, amount: 60 } };
  const committed = await before.commit(settled.reservationId as string, commit);

  const after = MemoryAuthority.restore(JSON.parse(JSON.stringify(before.snapshot())), { clock });
  expect(await after.listBudgets()).toEqual(await before.listBudgets());
  expect(await after.listTemplates()).toEqual(await before.listTemplates());
  expect(await after.getDegradationPolicy()).toEqual(await before.getDegradationPolicy());
  expect(await after.listReservations({ include: ['metadata'] })).toEqual(
    await before.listReservations({ include: ['metadata'] }),
  );
  expect((await after.reserve(reserve)).reservationId).toBe(live.reservationId);
  expect(await after.commit(settled.reservationId as string, commit)).toEqual(committed);
  // The restored ledger goes on: the live reservation settles against the same budgets.
  await after.release(live.reservationId as string, { idempotencyKey: 'rel' });
  expect(await after.getBudget({ scope: 'tenant:acme', unit: USD })).toMatchObject({
    reserved: 0,
    spent: 60,
  });
  await assertLedgerInvariant(after);
  // …and expiry still runs on the restored deadlines.
  const third = await after.reserve({ ...reserve, idempotencyKey: 'r3', ttlMs: 1_000 });
  const again = MemoryAuthority.restore(after.snapshot(), { clock });
  clock.advance(10_000);
  expect(await again.sweepExpired()).toBe(1);
  expect(third.reservationId).toBeDefined();
  await assertLedgerInvariant(again);
});

it('refuses a snapshot of another version, and limits out of range', () => {
  expect(() => MemoryAuthority.restore({ version: 9 } as never)).toThrow(RangeError);
  expect(() => new MemoryAuthority({ metadataLimits: { maxDepth: 0 } })).toThrow(RangeError);
  expect(() => new MemoryAuthority({ maxLiveReservationsPerTenant: 0 })).toThrow(RangeError);
});

it("keeps a live approved call's raise across a restore: released, the raise goes back", async () => {
  const clock = new ManualClock();
  const before = new MemoryAuthority({ clock });
  await before.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 1_000 });
  await before.createBudget({ scope: 'tenant:acme/workflow:support', unit: USD, allocated: 10 });
  const estimate = { unit: USD, amount: 40 };
  const asked = await before.requestApproval({
    key: 'call-1',
    subject,
    action,
    estimate,
    reasonCode: 'BUDGET_EXCEEDED',
    ttlMs: 60_000,
  });
  await before.decideApproval({ tenant: 'acme', approvalId: asked.approvalId, decision: 'APPROVE' });
  const approved = await before.reserve({
    idempotencyKey: 'r1',
    subject,
    action,
    estimate,
    metadata: { 'governor.approval': asked.approvalId },
  });
  expect(approved.decision).toBe('ALLOW');
  const after = MemoryAuthority.restore(JSON.parse(JSON.stringify(before.snapshot())), { clock });
  expect(await after.getBudget({ scope: 'tenant:acme/workflow:support', unit: USD })).toMatchObject({
    allocated: 40,
    reserved: 40,
  });
  await after.release(approved.reservationId as string, { idempotencyKey: 'rel' });
  expect(await after.getBudget({ scope: 'tenant:acme/workflow:support', unit: USD })).toMatchObject({
    allocated: 10,
    reserved: 0,
    remaining: 10,
  });
  expect(await after.getBudget({ scope: 'tenant:acme', unit: USD })).toMatchObject({ allocated: 1_000 });
  await assertLedgerInvariant(after);
});
