import { expect, it } from 'vitest';
import { expectError } from '../expect-error.js';
import { key, SCOPES, SUBJECT, type TestLedger, USD_UNIT } from '../harness.js';

const event = (
  t: TestLedger,
  amount: number,
  overagePolicy?: 'REJECT' | 'ALLOW_IF_AVAILABLE' | 'ALLOW_WITH_OVERDRAFT',
) =>
  t.ledger.event({
    idempotencyKey: key('evt'),
    subject: SUBJECT,
    action: { kind: 'tool.call', name: 'search' },
    actual: { unit: USD_UNIT, amount },
    ...(overagePolicy ? { overagePolicy } : {}),
  });

/** Commit, release and post-only events under each overage policy. */
export function settleChecks(fresh: () => Promise<TestLedger>) {
  it('commits less than reserved: charges actual, releases the rest everywhere', async () => {
    const t = await fresh();
    await t.budgets(1000, 500);
    const id = await t.reserveId(300);
    const c = await t.commit(id, 120);
    expect(c).toMatchObject({
      status: 'COMMITTED',
      charged: { unit: USD_UNIT, amount: 120 },
      released: { amount: 180 },
    });
    for (const [scope, allocated] of [
      [SCOPES[0], 1000],
      [SCOPES[1], 500],
    ] as const) {
      expect(await t.budgetOf(scope)).toMatchObject({ spent: 120, reserved: 0, remaining: allocated - 120 });
    }
    const detail = await t.ledger.getReservation(id);
    expect(detail).toMatchObject({ status: 'COMMITTED', committed: { amount: 120 } });
    expect(detail.finalizedAtMs).toBeGreaterThanOrEqual(detail.createdAtMs);
    await t.check();
  });

  it('commits the exact estimate with nothing released', async () => {
    const t = await fresh();
    await t.budgets(100);
    const c = await t.commit(await t.reserveId(100), 100);
    expect(c.charged.amount).toBe(100);
    expect(c.released?.amount ?? 0).toBe(0);
    expect(await t.remaining(SCOPES[0])).toBe(0);
    await t.check();
  });

  it('ALLOW_IF_AVAILABLE charges an overage in full when every scope covers it', async () => {
    const t = await fresh();
    await t.budgets(1000, 1000);
    const c = await t.commit(await t.reserveId(100), 150);
    expect(c.charged.amount).toBe(150);
    expect((await t.budgetOf(SCOPES[1])).spent).toBe(150);
    await t.check();
  });

  it('ALLOW_IF_AVAILABLE caps an overage to what remains, marks over-limit, blocks new work until funded', async () => {
    const t = await fresh();
    await t.budgets(1000, 130);
    const id = await t.reserveId(100);
    const c = await t.commit(id, 200);
    expect(c.charged.amount).toBe(130);
    expect(await t.budgetOf(SCOPES[1])).toMatchObject({
      spent: 130,
      debt: 0,
      remaining: 0,
      isOverLimit: true,
    });
    expect(await t.budgetOf(SCOPES[0])).toMatchObject({ spent: 130, isOverLimit: false });
    const r = await t.reserve(0);
    expect(r).toMatchObject({
      decision: 'DENY',
      reasonCode: 'OVERDRAFT_LIMIT_EXCEEDED',
      blockedScope: SCOPES[1],
    });
    await t.ledger.fund({ scope: SCOPES[1], unit: USD_UNIT, amount: 50 });
    expect((await t.budgetOf(SCOPES[1])).isOverLimit).toBe(false);
    expect((await t.reserve(50)).decision).toBe('ALLOW');
    await t.check();
  });

  it('REJECT refuses an overage that does not fit and leaves the reservation open', async () => {
    const t = await fresh();
    await t.budgets(1000, 120);
    const id = await t.reserveId(100, { overagePolicy: 'REJECT' });
    const e = await expectError(t.commit(id, 150), 'BUDGET_EXCEEDED');
    expect(e.status).toBe(409);
    expect(await t.budgetOf(SCOPES[1])).toMatchObject({ reserved: 100, spent: 0 });
    expect((await t.ledger.getReservation(id)).status).toBe('ACTIVE');
    expect((await t.commit(id, 120)).charged.amount).toBe(120);
    await t.check();
  });

  it('ALLOW_WITH_OVERDRAFT turns the uncovered overage into debt within the limit', async () => {
    const t = await fresh();
    await t.budget(SCOPES[0], 100, { overdraftLimit: 50 });
    const id = await t.reserveId(80, { overagePolicy: 'ALLOW_WITH_OVERDRAFT' });
    const c = await t.commit(id, 130);
    expect(c.charged.amount).toBe(130);
    expect(await t.budgetOf(SCOPES[0])).toMatchObject({
      spent: 100,
      debt: 30,
      remaining: -30,
      isOverLimit: false,
    });
    expect(await t.reserve(1)).toMatchObject({ decision: 'DENY', reasonCode: 'BUDGET_EXCEEDED' });
    await t.check();
  });

  it('ALLOW_WITH_OVERDRAFT refuses debt past the overdraft limit, changing nothing', async () => {
    const t = await fresh();
    await t.budget(SCOPES[0], 100, { overdraftLimit: 20 });
    const id = await t.reserveId(80, { overagePolicy: 'ALLOW_WITH_OVERDRAFT' });
    await expectError(t.commit(id, 130), 'OVERDRAFT_LIMIT_EXCEEDED');
    expect(await t.budgetOf(SCOPES[0])).toMatchObject({ reserved: 80, spent: 0, debt: 0 });
    await t.check();
  });

  it('denies with DEBT_OUTSTANDING when debt remains and no overdraft is allowed, and OVERDRAFT_LIMIT_EXCEEDED over the limit', async () => {
    const t = await fresh();
    await t.budget(SCOPES[0], 100, { overdraftLimit: 50 });
    await t.commit(await t.reserveId(100, { overagePolicy: 'ALLOW_WITH_OVERDRAFT' }), 140);
    await t.ledger.fund({ scope: SCOPES[0], unit: USD_UNIT, amount: 0 });
    await t.ledger.setOverdraftLimit({ scope: SCOPES[0], unit: USD_UNIT, amount: 30 });
    expect(await t.reserve(0)).toMatchObject({ decision: 'DENY', reasonCode: 'OVERDRAFT_LIMIT_EXCEEDED' });
    await t.ledger.setOverdraftLimit({ scope: SCOPES[0], unit: USD_UNIT, amount: 0 });
    expect(await t.reserve(0)).toMatchObject({
      decision: 'DENY',
      reasonCode: 'DEBT_OUTSTANDING',
      blockedScope: SCOPES[0],
    });
    await t.ledger.fund({ scope: SCOPES[0], unit: USD_UNIT, amount: 10 });
    expect(await t.budgetOf(SCOPES[0])).toMatchObject({ debt: 30, spent: 110, allocated: 110 });
    const decided = await t.ledger.decide({
      idempotencyKey: key(),
      subject: SUBJECT,
      action: { kind: 'a', name: 'b' },
      estimate: { unit: USD_UNIT, amount: 0 },
    });
    expect(decided).toMatchObject({ decision: 'DENY', reasonCode: 'DEBT_OUTSTANDING' });
    await t.ledger.fund({ scope: SCOPES[0], unit: USD_UNIT, amount: 100 });
    expect(await t.budgetOf(SCOPES[0])).toMatchObject({
      debt: 0,
      spent: 140,
      allocated: 210,
      remaining: 70,
      isOverLimit: false,
    });
    expect((await t.reserve(70)).decision).toBe('ALLOW');
    await t.check();
  });

  it('releases the whole estimate on every scope', async () => {
    const t = await fresh();
    await t.budgets(100, 100, 100);
    const id = await t.reserveId(60);
    const r = await t.release(id);
    expect(r).toMatchObject({ status: 'RELEASED', released: { unit: USD_UNIT, amount: 60 } });
    for (const scope of SCOPES)
      expect(await t.budgetOf(scope)).toMatchObject({ reserved: 0, spent: 0, remaining: 100 });
    expect((await t.ledger.getReservation(id)).status).toBe('RELEASED');
    await t.check();
  });

  it('finalizes once: a second commit or release is RESERVATION_FINALIZED; unknown ids are NOT_FOUND', async () => {
    const t = await fresh();
    await t.budgets(100);
    const id = await t.reserveId(10);
    await t.commit(id, 5);
    await expectError(t.commit(id, 5), 'RESERVATION_FINALIZED');
    await expectError(t.release(id), 'RESERVATION_FINALIZED');
    await expectError(
      t.ledger.extend(id, { idempotencyKey: key(), extendByMs: 1000 }),
      'RESERVATION_FINALIZED',
    );
    const released = await t.reserveId(10);
    await t.release(released);
    await expectError(t.commit(released, 1), 'RESERVATION_FINALIZED');
    await expectError(t.commit('rsv_missing', 1), 'NOT_FOUND');
    await expectError(t.release('rsv_missing'), 'NOT_FOUND');
    await expectError(t.ledger.getReservation('rsv_missing'), 'NOT_FOUND');
    expect((await t.budgetOf(SCOPES[0])).spent).toBe(5);
    await t.check();
  });

  it('events charge every budgeted scope at once', async () => {
    const t = await fresh();
    await t.budgets(100, 80);
    const e = await event(t, 30);
    expect(e.status).toBe('APPLIED');
    expect(e.eventId).toMatch(/\S/);
    expect(e.charged).toBeUndefined();
    expect((await t.budgetOf(SCOPES[0])).spent).toBe(30);
    expect((await t.budgetOf(SCOPES[1])).spent).toBe(30);
    await t.check();
  });

  it('events cap to what remains under ALLOW_IF_AVAILABLE, reject under REJECT, go into debt under overdraft', async () => {
    const t = await fresh();
    await t.budgets(100, 40);
    const capped = await event(t, 50);
    expect(capped.charged?.amount).toBe(40);
    expect(await t.budgetOf(SCOPES[1])).toMatchObject({ spent: 40, isOverLimit: true });

    const u = await fresh();
    await u.budgets(100, 40);
    await expectError(event(u, 50, 'REJECT'), 'BUDGET_EXCEEDED');
    expect((await u.budgetOf(SCOPES[1])).spent).toBe(0);
    expect((await event(u, 40, 'REJECT')).charged).toBeUndefined();

    const v = await fresh();
    await v.budget(SCOPES[0], 10, { overdraftLimit: 5 });
    await event(v, 14, 'ALLOW_WITH_OVERDRAFT');
    expect(await v.budgetOf(SCOPES[0])).toMatchObject({ spent: 10, debt: 4, remaining: -4 });
    await expectError(event(v, 2, 'ALLOW_WITH_OVERDRAFT'), 'OVERDRAFT_LIMIT_EXCEEDED');
    for (const x of [t, u, v]) await x.check();
  });

  it('frozen and closed budgets deny new work but let in-flight reservations settle', async () => {
    const t = await fresh();
    await t.budgets(100, 100);
    const inflight = await t.reserveId(10);
    await t.ledger.freeze({ scope: SCOPES[1], unit: USD_UNIT });
    expect(await t.reserve(1)).toMatchObject({
      decision: 'DENY',
      reasonCode: 'BUDGET_FROZEN',
      blockedScope: SCOPES[1],
    });
    await expectError(event(t, 1), 'BUDGET_FROZEN');
    expect((await t.commit(inflight, 7)).charged.amount).toBe(7);
    await t.ledger.unfreeze({ scope: SCOPES[1], unit: USD_UNIT });
    expect((await t.reserve(1)).decision).toBe('ALLOW');
    await t.ledger.close({ scope: SCOPES[0], unit: USD_UNIT });
    expect(await t.reserve(1)).toMatchObject({
      decision: 'DENY',
      reasonCode: 'BUDGET_CLOSED',
      blockedScope: SCOPES[0],
    });
    await expectError(event(t, 1), 'BUDGET_CLOSED');
    await expectError(t.ledger.unfreeze({ scope: SCOPES[0], unit: USD_UNIT }), 'INVALID_REQUEST', 'closed');
    await t.check();
  });
}
