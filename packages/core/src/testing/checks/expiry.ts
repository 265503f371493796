import { expect, it } from 'vitest';
import { expectError } from '../expect-error.js';
import { key, SCOPES, type TestLedger } from '../harness.js';

/** TTL, grace, extend, lazy and swept expiry — time is the ledger's clock. */
export function expiryChecks(fresh: () => Promise<TestLedger>) {
  it('accepts a commit after the TTL while the grace period lasts', async () => {
    const t = await fresh();
    await t.budgets(100);
    const id = await t.reserveId(40, { ttlMs: 10_000, gracePeriodMs: 5_000 });
    await t.advance(15_000);
    expect((await t.ledger.getReservation(id)).status).toBe('ACTIVE');
    expect((await t.commit(id, 30)).charged.amount).toBe(30);
    expect(await t.remaining(SCOPES[0])).toBe(70);
    await t.check();
  });

  it('expires past TTL + grace: the budget returns, commit and release answer RESERVATION_EXPIRED', async () => {
    const t = await fresh();
    await t.budgets(100, 100);
    const id = await t.reserveId(40, { ttlMs: 10_000, gracePeriodMs: 5_000 });
    await t.advance(15_001);
    expect(await t.remaining(SCOPES[1])).toBe(100);
    const e = await expectError(t.commit(id, 30), 'RESERVATION_EXPIRED');
    expect(e.status).toBe(410);
    await expectError(t.release(id), 'RESERVATION_EXPIRED');
    await expectError(t.ledger.getReservation(id), 'RESERVATION_EXPIRED');
    const listed = await t.ledger.listReservations({ status: 'EXPIRED' });
    expect(listed.reservations.map((r) => r.reservationId)).toEqual([id]);
    expect(listed.reservations[0]?.finalizedAtMs).toBeUndefined();
    expect((await t.budgetOf(SCOPES[0])).spent).toBe(0);
    await t.check();
  });

  it('sweeps expired reservations without anyone touching them', async () => {
    const t = await fresh();
    await t.budgets(1000);
    for (let i = 0; i < 5; i++) await t.reserveId(10, { ttlMs: 1_000, gracePeriodMs: 0 });
    const keep = await t.reserveId(10, { ttlMs: 60_000 });
    await t.advance(1_001);
    expect(await t.ledger.sweepExpired()).toBe(5);
    expect(await t.ledger.sweepExpired()).toBe(0);
    expect(await t.budgetOf(SCOPES[0])).toMatchObject({ reserved: 10, remaining: 990 });
    expect((await t.ledger.getReservation(keep)).status).toBe('ACTIVE');
    await t.check();
  });

  it('extends relative to the current expiry, until the expiry itself', async () => {
    const t = await fresh();
    await t.budgets(100);
    const r = await t.reserve(10, { ttlMs: 10_000, gracePeriodMs: 2_000 });
    const id = r.reservationId as string;
    await t.advance(4_000);
    const x = await t.ledger.extend(id, { idempotencyKey: key(), extendByMs: 10_000 });
    expect(x.status).toBe('ACTIVE');
    expect(x.expiresAtMs).toBe((r.expiresAtMs as number) + 10_000);
    expect(x.remainingTtlMs).toBe(16_000);
    await t.advance(16_001);
    await expectError(
      t.ledger.extend(id, { idempotencyKey: key(), extendByMs: 1_000 }),
      'RESERVATION_EXPIRED',
    );
    expect((await t.commit(id, 10)).charged.amount).toBe(10);
    await t.check();
  });

  it('an extended reservation outlives its first deadline', async () => {
    const t = await fresh();
    await t.budgets(100);
    const id = await t.reserveId(10, { ttlMs: 1_000, gracePeriodMs: 0 });
    await t.ledger.extend(id, { idempotencyKey: key(), extendByMs: 5_000 });
    await t.advance(3_000);
    expect(await t.ledger.sweepExpired()).toBe(0);
    expect((await t.ledger.getReservation(id)).status).toBe('ACTIVE');
    await t.advance(3_001);
    expect(await t.remaining(SCOPES[0])).toBe(100);
    await t.check();
  });

  it('recomputes remainingTtlMs on a replayed reserve and extend, 0 once no longer active', async () => {
    const t = await fresh();
    await t.budgets(100);
    const request = { idempotencyKey: key(), ttlMs: 10_000 };
    const first = await t.reserve(10, request);
    await t.advance(3_000);
    const again = await t.reserve(10, request);
    expect(again.reservationId).toBe(first.reservationId);
    expect(again.expiresAtMs).toBe(first.expiresAtMs);
    expect(again.remainingTtlMs).toBe(7_000);
    const ext = { idempotencyKey: key(), extendByMs: 5_000 };
    const x1 = await t.ledger.extend(first.reservationId as string, ext);
    await t.advance(1_000);
    const x2 = await t.ledger.extend(first.reservationId as string, ext);
    expect(x2.expiresAtMs).toBe(x1.expiresAtMs);
    expect(x2.remainingTtlMs).toBe((x1.remainingTtlMs as number) - 1_000);
    await t.commit(first.reservationId as string, 10);
    expect((await t.reserve(10, request)).remainingTtlMs).toBe(0);
    expect(await t.remaining(SCOPES[0])).toBe(90);
    await t.check();
  });
}
