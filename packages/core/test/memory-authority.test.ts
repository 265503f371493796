import { ManualClock, MemoryAuthority, USD } from '@governor/core';
import { expectError } from '@governor/core/testing';
import { describe, expect, it } from 'vitest';

const subject = { tenant: 'acme' };
const action = { kind: 'llm.completion', name: 'm' };

async function ledger(options: ConstructorParameters<typeof MemoryAuthority>[0] = {}) {
  const clock = new ManualClock();
  const l = new MemoryAuthority({ clock, ...options });
  await l.createBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: USD });
  const reserve = (idempotencyKey: string, amount = 1) =>
    l.reserve({ idempotencyKey, subject, action, estimate: { unit: 'USD_MICROCENTS', amount } });
  return { l, clock, reserve };
}

describe('MemoryAuthority specifics', () => {
  it('limits extensions when configured', async () => {
    const { l, reserve } = await ledger({ maxExtensions: 2 });
    const id = (await reserve('a')).reservationId as string;
    await l.extend(id, { idempotencyKey: 'x1', extendByMs: 1000 });
    await l.extend(id, { idempotencyKey: 'x2', extendByMs: 1000 });
    await expectError(l.extend(id, { idempotencyKey: 'x3', extendByMs: 1000 }), 'MAX_EXTENSIONS_EXCEEDED');
  });

  it('forgets idempotency keys after their retention, and finalized reservations after theirs', async () => {
    const { l, clock, reserve } = await ledger({
      idempotencyRetentionMs: 10_000,
      reservationRetentionMs: 20_000,
    });
    const first = await reserve('same');
    await l.commit(first.reservationId as string, {
      idempotencyKey: 'c',
      actual: { unit: 'USD_MICROCENTS', amount: 1 },
    });
    clock.advance(10_001);
    const second = await reserve('same');
    expect(second.reservationId).not.toBe(first.reservationId);
    clock.advance(10_000);
    await expectError(l.getReservation(first.reservationId as string), 'NOT_FOUND');
    expect((await l.getBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS' }))?.spent).toBe(1);
  });

  it('keeps at most maxIdempotencyRecords answers, dropping the oldest', async () => {
    const { reserve } = await ledger({ maxIdempotencyRecords: 2 });
    const a = await reserve('a');
    await reserve('b');
    await reserve('c');
    await reserve('d');
    expect((await reserve('a')).reservationId).not.toBe(a.reservationId);
  });

  it('returns copies: changing an answer or a request afterwards changes nothing in the ledger', async () => {
    const { l, reserve } = await ledger();
    const request = {
      idempotencyKey: 'k',
      subject: { tenant: 'acme' },
      action,
      estimate: { unit: 'USD_MICROCENTS' as const, amount: 5 },
    };
    const r = await l.reserve(request);
    request.subject.tenant = 'evil';
    const detail = await l.getReservation(r.reservationId as string);
    detail.reserved.amount = 1_000;
    expect((await l.getReservation(r.reservationId as string)).subject.tenant).toBe('acme');
    expect((await l.getReservation(r.reservationId as string)).reserved.amount).toBe(5);
    expect((await reserve('k', 5)).reservationId).toBe(r.reservationId);
    (r.reserved as { amount: number }).amount = 1;
    r.affectedScopes.push('tenant:evil');
    const released = await l.release(r.reservationId as string, { idempotencyKey: 'rel' });
    expect(released.released.amount).toBe(5);
    released.released.amount = 0;
    expect((await l.getReservation(r.reservationId as string)).affectedScopes).toEqual(['tenant:acme']);
    expect((await l.getBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS' }))?.reserved).toBe(0);
    const c = await reserve('k2', 7);
    const committed = await l.commit(c.reservationId as string, {
      idempotencyKey: 'c2',
      actual: { unit: 'USD_MICROCENTS', amount: 6 },
    });
    committed.charged.amount = 0;
    expect((await l.getReservation(c.reservationId as string)).committed?.amount).toBe(6);
  });

  it('uses the system clock by default', async () => {
    const l = new MemoryAuthority();
    await l.createBudget({ scope: 'tenant:t', unit: 'TOKENS', allocated: 10 });
    const before = Date.now();
    const r = await l.reserve({
      idempotencyKey: 'k',
      subject: { tenant: 't' },
      action,
      estimate: { unit: 'TOKENS', amount: 1 },
      ttlMs: 5000,
    });
    expect(r.expiresAtMs).toBeGreaterThanOrEqual(before + 5000);
    expect(r.expiresAtMs).toBeLessThanOrEqual(Date.now() + 5000);
  });

  it('refuses to move a manual clock backwards', () => {
    expect(() => new ManualClock().advance(-1)).toThrow(RangeError);
  });
});
