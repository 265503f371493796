import { expect, it } from 'vitest';
import { expectError } from '../expect-error.js';
import { key, SCOPES, SUBJECT, type TestLedger, USD_UNIT } from '../harness.js';

/** Scope derivation and atomic reservation across every budgeted scope. */
export function reserveChecks(fresh: () => Promise<TestLedger>) {
  it('derives scopes in canonical order, run between workflow and agent, gaps skipped', async () => {
    const t = await fresh();
    const subject = { toolset: 'email', agent: 'writer', run: '4821', workflow: 'support', tenant: 'acme' };
    const scopes = [
      'tenant:acme',
      'tenant:acme/workflow:support',
      'tenant:acme/workflow:support/run:4821',
      'tenant:acme/workflow:support/run:4821/agent:writer',
      'tenant:acme/workflow:support/run:4821/agent:writer/toolset:email',
    ];
    for (const scope of scopes) await t.budget(scope, 100);
    const r = await t.reserve(10, { subject });
    expect(r.affectedScopes).toEqual(scopes);
    expect(r.scopePath).toBe(scopes[4]);
    for (const scope of scopes) expect(await t.remaining(scope)).toBe(90);
    await t.check();
  });

  it('skips derived scopes that have no budget', async () => {
    const t = await fresh();
    await t.budget(SCOPES[0], 100);
    await t.budget(SCOPES[2], 50);
    const r = await t.reserve(20);
    expect(r.decision).toBe('ALLOW');
    expect(r.affectedScopes).toEqual([SCOPES[0], SCOPES[2]]);
    expect(r.scopePath).toBe(SCOPES[2]);
    expect(await t.remaining(SCOPES[0])).toBe(80);
    expect(await t.remaining(SCOPES[2])).toBe(30);
    await t.check();
  });

  it('reserves on every scope or on none: a DENY at one scope leaves all untouched', async () => {
    const t = await fresh();
    await t.budgets(1000, 1000, 50);
    const r = await t.reserve(60);
    expect(r.decision).toBe('DENY');
    expect(r.reasonCode).toBe('BUDGET_EXCEEDED');
    expect(r.blockedScope).toBe(SCOPES[2]);
    expect(r.reservationId).toBeUndefined();
    expect(r.affectedScopes).toEqual([...SCOPES]);
    for (const [i, scope] of SCOPES.entries()) expect(await t.remaining(scope)).toBe([1000, 1000, 50][i]);
    await t.check();
  });

  it('allows an exact fit and denies one unit more', async () => {
    const t = await fresh();
    await t.budgets(100, 100, 100);
    expect((await t.reserve(100)).decision).toBe('ALLOW');
    expect((await t.reserve(1)).decision).toBe('DENY');
    expect((await t.reserve(0)).decision).toBe('ALLOW');
    await t.check();
  });

  it('returns the reservation, its expiry and the balances after it', async () => {
    const t = await fresh();
    await t.budgets(1000);
    const r = await t.reserve(250, { ttlMs: 10_000 });
    expect(r.decision).toBe('ALLOW');
    expect(r.reservationId).toMatch(/\S/);
    expect(r.reserved).toEqual({ unit: USD_UNIT, amount: 250 });
    expect(r.remainingTtlMs).toBe(10_000);
    expect(r.caps).toBeUndefined();
    expect(r.balances?.[0]).toMatchObject({
      scope: SCOPES[0],
      remaining: { amount: 750 },
      reserved: { amount: 250 },
    });
    const detail = await t.ledger.getReservation(r.reservationId as string);
    expect(detail).toMatchObject({
      status: 'ACTIVE',
      subject: SUBJECT,
      reserved: { amount: 250 },
      scopePath: SCOPES[2],
    });
    expect(detail.expiresAtMs - detail.createdAtMs).toBe(10_000);
    expect(r.expiresAtMs).toBe(detail.expiresAtMs);
  });

  it('answers NOT_FOUND when no derived scope has a budget, and a DENY on dry run and decide', async () => {
    const t = await fresh();
    await t.ledger.createBudget({ scope: 'tenant:other', unit: USD_UNIT, allocated: 5 });
    const e = await expectError(t.reserve(1), 'NOT_FOUND', 'Budget not found');
    expect(e.status).toBe(404);
    const dry = await t.reserve(1, { dryRun: true });
    expect(dry).toMatchObject({ decision: 'DENY', reasonCode: 'BUDGET_NOT_FOUND' });
    const decided = await t.ledger.decide({
      idempotencyKey: key(),
      subject: SUBJECT,
      action: { kind: 'a', name: 'b' },
      estimate: { unit: USD_UNIT, amount: 1 },
    });
    expect(decided).toMatchObject({ decision: 'DENY', reasonCode: 'BUDGET_NOT_FOUND' });
    await expectError(
      t.ledger.event({
        idempotencyKey: key(),
        subject: SUBJECT,
        action: { kind: 'a', name: 'b' },
        actual: { unit: USD_UNIT, amount: 1 },
      }),
      'NOT_FOUND',
    );
  });

  it('answers UNIT_MISMATCH when the scopes only have budgets in other units', async () => {
    const t = await fresh();
    await t.budgets(100);
    const e = await expectError(t.reserve(1, { estimate: { unit: 'TOKENS', amount: 1 } }), 'UNIT_MISMATCH');
    expect(e.status).toBe(400);
    expect(e.details).toMatchObject({
      scope: SCOPES[0],
      requested_unit: 'TOKENS',
      expected_units: [USD_UNIT],
    });
    await expectError(
      t.reserve(1, { estimate: { unit: 'TOKENS', amount: 1 }, dryRun: true }),
      'UNIT_MISMATCH',
    );
    await expectError(
      t.ledger.decide({
        idempotencyKey: key(),
        subject: SUBJECT,
        action: { kind: 'a', name: 'b' },
        estimate: { unit: 'CREDITS', amount: 1 },
      }),
      'UNIT_MISMATCH',
    );
    await expectError(
      t.ledger.event({
        idempotencyKey: key(),
        subject: SUBJECT,
        action: { kind: 'a', name: 'b' },
        actual: { unit: 'CREDITS', amount: 1 },
      }),
      'UNIT_MISMATCH',
    );
  });

  it('keeps budgets of different units apart', async () => {
    const t = await fresh();
    await t.budgets(100);
    await t.ledger.createBudget({ scope: SCOPES[0], unit: 'RISK_POINTS', allocated: 3 });
    const r = await t.reserve(2, { estimate: { unit: 'RISK_POINTS', amount: 2 } });
    expect(r.decision).toBe('ALLOW');
    expect(await t.remaining(SCOPES[0], 'RISK_POINTS')).toBe(1);
    expect(await t.remaining(SCOPES[0])).toBe(100);
    await expectError(t.commit(r.reservationId as string, 2, USD_UNIT), 'UNIT_MISMATCH');
    await t.check();
  });

  it('dry run evaluates like a reservation and changes nothing', async () => {
    const t = await fresh();
    await t.budgets(100, 100, 40);
    const ok = await t.reserve(30, { dryRun: true });
    expect(ok.decision).toBe('ALLOW');
    expect(ok.reservationId).toBeUndefined();
    expect(ok.expiresAtMs).toBeUndefined();
    expect(ok.remainingTtlMs).toBeUndefined();
    expect(ok.affectedScopes).toEqual([...SCOPES]);
    const no = await t.reserve(50, { dryRun: true });
    expect(no).toMatchObject({ decision: 'DENY', reasonCode: 'BUDGET_EXCEEDED', blockedScope: SCOPES[2] });
    expect(no.affectedScopes).toEqual([...SCOPES]);
    expect(await t.remaining(SCOPES[2])).toBe(40);
    expect((await t.ledger.listReservations({})).reservations).toHaveLength(0);
  });

  it('decide answers ALLOW, caps or DENY without reserving, never a 4xx for budget state', async () => {
    const t = await fresh();
    await t.budgets(100);
    const ask = (amount: number) =>
      t.ledger.decide({
        idempotencyKey: key(),
        subject: SUBJECT,
        action: { kind: 'tool.call', name: 'x' },
        estimate: { unit: USD_UNIT, amount },
      });
    expect(await ask(100)).toMatchObject({ decision: 'ALLOW', affectedScopes: [SCOPES[0]] });
    expect(await ask(101)).toMatchObject({
      decision: 'DENY',
      reasonCode: 'BUDGET_EXCEEDED',
      blockedScope: SCOPES[0],
    });
    await t.ledger.freeze({ scope: SCOPES[0], unit: USD_UNIT });
    expect(await ask(1)).toMatchObject({ decision: 'DENY', reasonCode: 'BUDGET_FROZEN' });
    expect(await t.remaining(SCOPES[0])).toBe(100);
  });
}
