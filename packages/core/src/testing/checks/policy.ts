import { expect, it } from 'vitest';
import { MAX_AMOUNT } from '../../protocol/types.js';
import { expectError } from '../expect-error.js';
import { key, SCOPES, type TestLedger, USD_UNIT } from '../harness.js';

/** Provisioning, budget templates, degradation tiers, static caps, exact amounts at the boundary. */
export function policyChecks(fresh: () => Promise<TestLedger>) {
  it('provisions: create once, fund, debit within remaining, set allocation, reset spent', async () => {
    const t = await fresh();
    await t.budgets(100);
    await expectError(t.budget(SCOPES[0], 5), 'INVALID_REQUEST', 'already exists');
    await t.commit(await t.reserveId(30), 30);
    expect(await t.ledger.fund({ scope: SCOPES[0], unit: USD_UNIT, amount: 50 })).toMatchObject({
      allocated: 150,
      remaining: 120,
    });
    await expectError(
      t.ledger.debit({ scope: SCOPES[0], unit: USD_UNIT, amount: 121 }),
      'INVALID_REQUEST',
      'remaining',
    );
    expect(await t.ledger.debit({ scope: SCOPES[0], unit: USD_UNIT, amount: 20 })).toMatchObject({
      allocated: 130,
      remaining: 100,
    });
    expect(await t.ledger.setAllocation({ scope: SCOPES[0], unit: USD_UNIT, amount: 40 })).toMatchObject({
      remaining: 10,
    });
    expect(await t.ledger.resetSpent({ scope: SCOPES[0], unit: USD_UNIT })).toMatchObject({
      spent: 0,
      remaining: 40,
    });
    await expectError(t.ledger.fund({ scope: 'tenant:nobody', unit: USD_UNIT, amount: 1 }), 'NOT_FOUND');
    await t.check();
  });

  it('materialises template budgets on first use, one per matching scope', async () => {
    const t = await fresh();
    await t.budget('tenant:acme', 1_000);
    await t.ledger.addTemplate({ match: 'tenant:*/workflow:support/run:*', unit: USD_UNIT, allocated: 200 });
    const run = (id: string) => ({ subject: { tenant: 'acme', workflow: 'support', run: id } });
    const dry = await t.reserve(50, { ...run('a'), dryRun: true });
    expect(dry.affectedScopes).toEqual(['tenant:acme', 'tenant:acme/workflow:support/run:a']);
    expect(
      await t.ledger.getBudget({ scope: 'tenant:acme/workflow:support/run:a', unit: USD_UNIT }),
    ).toBeUndefined();
    expect((await t.reserve(150, run('a'))).decision).toBe('ALLOW');
    expect((await t.reserve(100, run('a'))).decision).toBe('DENY');
    expect((await t.reserve(150, run('b'))).decision).toBe('ALLOW');
    expect(await t.remaining('tenant:acme/workflow:support/run:a')).toBe(50);
    expect(await t.remaining('tenant:acme/workflow:support/run:b')).toBe(50);
    const other = await t.reserve(10, { subject: { tenant: 'acme', workflow: 'billing', run: 'a' } });
    expect(other.affectedScopes).toEqual(['tenant:acme']);
    expect(await t.remaining('tenant:acme')).toBe(690);
    await t.check();
  });

  it('degradation tiers turn utilisation into caps, tier by tier, at the exact boundary', async () => {
    const t = await fresh();
    await t.budgets(10_000, 1_000);
    await t.ledger.setDegradationPolicy({
      tiers: [
        { atPercent: 80, caps: { maxTokens: 512 } },
        { atPercent: 95, caps: { toolDenylist: ['send_email'], maxTokens: 128 } },
      ],
    });
    const spend = async (amount: number) => t.commit(await t.reserveId(amount), amount);
    expect((await t.reserve(0)).decision).toBe('ALLOW');
    await spend(799);
    expect((await t.reserve(1)).decision).toBe('ALLOW');
    await spend(1);
    const at80 = await t.reserve(1);
    expect(at80).toMatchObject({ decision: 'ALLOW_WITH_CAPS', caps: { maxTokens: 512 } });
    await t.release(at80.reservationId as string);
    await spend(150);
    const at95 = await t.reserve(1);
    expect(at95.decision).toBe('ALLOW_WITH_CAPS');
    expect(at95.caps).toEqual({ maxTokens: 128, toolDenylist: ['send_email'] });
    const decided = await t.ledger.decide({
      idempotencyKey: key(),
      subject: { tenant: 'acme' },
      action: { kind: 'a', name: 'b' },
      estimate: { unit: USD_UNIT, amount: 1 },
    });
    expect(decided.decision).toBe('ALLOW');
    await t.check();
  });

  it('static caps on a budget apply to every reservation touching it, merged with tiers', async () => {
    const t = await fresh();
    await t.budget(SCOPES[0], 1_000, { caps: { maxTokens: 2_000, toolAllowlist: ['search', 'send_email'] } });
    await t.budget(SCOPES[1], 100, { caps: { maxTokens: 1_000, toolDenylist: ['send_email'] } });
    await t.ledger.setDegradationPolicy({
      tiers: [{ atPercent: 50, caps: { maxTokens: 300, cooldownMs: 1_000 } }],
    });
    const r = await t.reserve(10);
    expect(r.decision).toBe('ALLOW_WITH_CAPS');
    expect(r.caps).toEqual({ maxTokens: 1_000, toolAllowlist: ['search'], toolDenylist: ['send_email'] });
    await t.commit(r.reservationId as string, 60);
    expect((await t.reserve(1)).caps).toMatchObject({ maxTokens: 300, cooldownMs: 1_000 });
    await t.ledger.setCaps({ scope: SCOPES[0], unit: USD_UNIT });
    await t.ledger.setCaps({ scope: SCOPES[1], unit: USD_UNIT });
    await t.ledger.setDegradationPolicy(undefined);
    expect((await t.reserve(1)).decision).toBe('ALLOW');
    await t.check();
  });

  it('an isolated budget stops charges from reaching the scopes above it', async () => {
    const t = await fresh();
    await t.budgets(1_000, 500);
    await t.budget(SCOPES[2], 30, { isolated: true });
    const r = await t.reserve(20);
    expect(r.affectedScopes).toEqual([SCOPES[2]]);
    expect((await t.reserve(11)).decision).toBe('DENY');
    await t.commit(r.reservationId as string, 25);
    await t.ledger.event({
      idempotencyKey: key(),
      subject: { tenant: 'acme', workflow: 'support', run: 'r1' },
      action: { kind: 'tool.call', name: 'x' },
      actual: { unit: USD_UNIT, amount: 5 },
    });
    expect(await t.budgetOf(SCOPES[2])).toMatchObject({ spent: 30, isolated: true });
    expect(await t.budgetOf(SCOPES[0])).toMatchObject({ spent: 0, reserved: 0 });
    expect((await t.reserve(5, { subject: { tenant: 'acme', workflow: 'support' } })).affectedScopes).toEqual(
      [SCOPES[0], SCOPES[1]],
    );
    await t.check();
  });

  it('keeps amounts exact up to MAX_SAFE_INTEGER and refuses anything past it', async () => {
    const t = await fresh();
    await t.ledger.createBudget({ scope: SCOPES[0], unit: 'TOKENS', allocated: MAX_AMOUNT });
    const tokens = { estimate: { unit: 'TOKENS' as const, amount: MAX_AMOUNT - 1 } };
    const r = await t.reserve(MAX_AMOUNT - 1, tokens);
    expect(r.decision).toBe('ALLOW');
    expect((await t.reserve(2, { estimate: { unit: 'TOKENS', amount: 2 } })).decision).toBe('DENY');
    expect((await t.reserve(1, { estimate: { unit: 'TOKENS', amount: 1 } })).decision).toBe('ALLOW');
    const c = await t.commit(r.reservationId as string, MAX_AMOUNT - 3, 'TOKENS');
    expect(c.charged.amount).toBe(MAX_AMOUNT - 3);
    expect(await t.budgetOf(SCOPES[0], 'TOKENS')).toMatchObject({
      spent: MAX_AMOUNT - 3,
      reserved: 1,
      remaining: 2,
    });
    await expectError(
      t.ledger.fund({ scope: SCOPES[0], unit: 'TOKENS', amount: 1 }),
      'INVALID_REQUEST',
      String(MAX_AMOUNT),
    );
    await expectError(
      t.ledger.createBudget({ scope: SCOPES[1], unit: 'TOKENS', allocated: MAX_AMOUNT, overdraftLimit: 1 }),
      'INVALID_REQUEST',
      String(MAX_AMOUNT),
    );
    await expectError(
      t.ledger.createBudget({ scope: SCOPES[1], unit: 'TOKENS', allocated: MAX_AMOUNT + 1 }),
      'INVALID_REQUEST',
      'safe integer',
    );
    await t.check();
  });
}
