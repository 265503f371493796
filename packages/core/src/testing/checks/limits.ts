import { expect, it } from 'vitest';
import { expectError } from '../expect-error.js';
import { type FreshLedger, key, SCOPES, USD_UNIT } from '../harness.js';

/** Bounds on live state: the live reservation cap per tenant. */
export function liveLimitChecks(fresh: FreshLedger) {
  it('denies a reserve past maxLiveReservationsPerTenant with LIVE_RESERVATION_LIMIT, a decision', async () => {
    const t = await fresh({ maxLiveReservationsPerTenant: 3 });
    await t.budgets(1000, 1000, 1000);
    await t.ledger.createBudget({ scope: 'tenant:globex', unit: USD_UNIT, allocated: 1000 });
    const ids = [await t.reserveId(10), await t.reserveId(10), await t.reserveId(10)];
    const idempotencyKey = key();
    const denied = await t.reserve(10, { idempotencyKey });
    expect(denied).toMatchObject({
      decision: 'DENY',
      reasonCode: 'LIVE_RESERVATION_LIMIT',
      blockedScope: 'tenant:acme',
      affectedScopes: [...SCOPES],
    });
    expect(denied.reservationId).toBeUndefined();
    expect(await t.budgetOf(SCOPES[0])).toMatchObject({ reserved: 30, remaining: 970 });
    // Another tenant has its own count; a dry run reserves nothing and is not limited.
    const other = await t.reserve(10, { subject: { tenant: 'globex' } });
    expect(other.decision).toBe('ALLOW');
    expect((await t.reserve(10, { dryRun: true })).decision).toBe('ALLOW');
    // Settling one makes room; the denied key is decided afresh.
    await t.commit(ids[0] as string, 4);
    const retried = await t.reserve(10, { idempotencyKey });
    expect(retried.decision).toBe('ALLOW');
    expect((await t.reserve(10)).reasonCode).toBe('LIVE_RESERVATION_LIMIT');
    // Expired reservations are not live either.
    await t.advance(70_000);
    expect((await t.reserve(10)).decision).toBe('ALLOW');
    await t.check();
  });
}

/** Settlement answers replay for the whole idempotency window, after the reservation itself is pruned. */
export function replayWindowChecks(fresh: FreshLedger) {
  it('replays commit, release and extend after the reservation is pruned, well inside the window', async () => {
    const t = await fresh({ reservationRetentionMs: 1_000 });
    await t.budgets(1000, 1000, 1000);
    const [a, b, c] = [await t.reserveId(100), await t.reserveId(50), await t.reserveId(20)];
    const commit = { idempotencyKey: key('cmt'), actual: { unit: USD_UNIT, amount: 60 } } as const;
    const release = { idempotencyKey: key('rel') };
    const extend = { idempotencyKey: key('ext'), extendByMs: 1_000 };
    const committed = await t.ledger.commit(a, commit);
    const released = await t.ledger.release(b, release);
    const extended = await t.ledger.extend(c, extend);
    await t.ledger.release(c, { idempotencyKey: key('rel') });
    const before = await t.budgetOf(SCOPES[0]);

    await t.advance(5_000);
    await t.h.applyRetention?.();
    await t.ledger.sweepExpired();
    for (const id of [a, b, c]) await expectError(t.ledger.getReservation(id), 'NOT_FOUND');

    expect(await t.ledger.commit(a, commit)).toEqual(committed);
    expect(await t.ledger.release(b, release)).toEqual(released);
    const again = await t.ledger.extend(c, extend);
    expect(again.expiresAtMs).toBe(extended.expiresAtMs);
    expect(again.status).toBe('ACTIVE');
    await expectError(
      t.ledger.commit(a, { ...commit, actual: { unit: USD_UNIT, amount: 61 } }),
      'IDEMPOTENCY_MISMATCH',
    );
    await expectError(t.ledger.commit(a, { ...commit, idempotencyKey: key('cmt') }), 'NOT_FOUND');
    expect(await t.budgetOf(SCOPES[0])).toEqual(before);
    expect(before).toMatchObject({ spent: 60, reserved: 0 });
    await t.check();
  });
}
