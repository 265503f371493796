import { expect, it } from 'vitest';
import { expectError } from '../expect-error.js';
import { key, SCOPES, SUBJECT, type TestLedger, USD_UNIT } from '../harness.js';

/** Idempotency per (tenant, operation, key): replay the original answer, refuse a changed payload. */
export function idempotencyChecks(fresh: () => Promise<TestLedger>) {
  it('replays a reserve: same reservation, reserved once', async () => {
    const t = await fresh();
    await t.budgets(100);
    const request = { idempotencyKey: key() };
    const a = await t.reserve(30, request);
    const b = await t.reserve(30, request);
    expect(b.reservationId).toBe(a.reservationId);
    expect(b.decision).toBe(a.decision);
    expect(await t.remaining(SCOPES[0])).toBe(70);
    expect(
      (await t.ledger.listReservations({ idempotencyKey: request.idempotencyKey })).reservations,
    ).toHaveLength(1);
    await t.check();
  });

  it('refuses the same reserve key with another payload: IDEMPOTENCY_MISMATCH, nothing reserved', async () => {
    const t = await fresh();
    await t.budgets(100);
    const request = { idempotencyKey: key() };
    await t.reserve(30, request);
    const e = await expectError(t.reserve(31, request), 'IDEMPOTENCY_MISMATCH');
    expect(e.status).toBe(409);
    expect(await t.remaining(SCOPES[0])).toBe(70);
    await t.check();
  });

  it('compares payloads canonically: key order and spelled-out defaults do not matter', async () => {
    const t = await fresh();
    await t.budgets(100);
    const idempotencyKey = key();
    const a = await t.ledger.reserve({
      idempotencyKey,
      subject: { tenant: 'acme', workflow: 'support', run: 'r1' },
      action: { kind: 'tool.call', name: 'x' },
      estimate: { unit: USD_UNIT, amount: 5 },
    });
    const b = await t.ledger.reserve({
      estimate: { amount: 5, unit: USD_UNIT },
      action: { name: 'x', kind: 'tool.call' },
      subject: { run: 'r1', workflow: 'support', tenant: 'acme' },
      idempotencyKey,
      ttlMs: 60_000,
      gracePeriodMs: 5_000,
      overagePolicy: 'ALLOW_IF_AVAILABLE',
      dryRun: false,
    });
    expect(b.reservationId).toBe(a.reservationId);
    expect(await t.remaining(SCOPES[0])).toBe(95);
  });

  it('scopes keys per tenant and per operation', async () => {
    const t = await fresh();
    await t.budgets(100);
    await t.ledger.createBudget({ scope: 'tenant:globex', unit: USD_UNIT, allocated: 100 });
    const idempotencyKey = key();
    const a = await t.reserve(10, { idempotencyKey });
    const b = await t.reserve(10, { idempotencyKey, subject: { tenant: 'globex' } });
    expect(b.reservationId).not.toBe(a.reservationId);
    const c = await t.ledger.commit(a.reservationId as string, {
      idempotencyKey,
      actual: { unit: USD_UNIT, amount: 4 },
    });
    expect(c.charged.amount).toBe(4);
    expect(await t.remaining('tenant:globex')).toBe(90);
    expect(await t.remaining(SCOPES[0])).toBe(96);
    await t.check();
  });

  it('replays a commit and charges once; a changed actual under the same key is a mismatch', async () => {
    const t = await fresh();
    await t.budgets(100);
    const id = await t.reserveId(50);
    const request = { idempotencyKey: key(), actual: { unit: USD_UNIT, amount: 20 } } as const;
    const first = await t.ledger.commit(id, request);
    const again = await t.ledger.commit(id, request);
    expect(again).toEqual(first);
    await expectError(
      t.ledger.commit(id, { ...request, actual: { unit: USD_UNIT, amount: 21 } }),
      'IDEMPOTENCY_MISMATCH',
    );
    expect(await t.budgetOf(SCOPES[0])).toMatchObject({ spent: 20, reserved: 0 });
    await t.check();
  });

  it('replays release, extend, event and decide', async () => {
    const t = await fresh();
    await t.budgets(100);
    const id = await t.reserveId(10);
    const ext = { idempotencyKey: key(), extendByMs: 1_000 };
    const x1 = await t.ledger.extend(id, ext);
    expect((await t.ledger.extend(id, ext)).expiresAtMs).toBe(x1.expiresAtMs);
    const rel = { idempotencyKey: key() };
    expect(await t.ledger.release(id, rel)).toEqual(await t.ledger.release(id, rel));
    const ev = {
      idempotencyKey: key(),
      subject: SUBJECT,
      action: { kind: 'tool.call', name: 'x' },
      actual: { unit: USD_UNIT, amount: 7 },
    } as const;
    const e1 = await t.ledger.event(ev);
    expect((await t.ledger.event(ev)).eventId).toBe(e1.eventId);
    await expectError(
      t.ledger.event({ ...ev, actual: { unit: USD_UNIT, amount: 8 } }),
      'IDEMPOTENCY_MISMATCH',
    );
    expect((await t.budgetOf(SCOPES[0])).spent).toBe(7);
    const dec = {
      idempotencyKey: key(),
      subject: SUBJECT,
      action: { kind: 'tool.call', name: 'x' },
      estimate: { unit: USD_UNIT, amount: 93 },
    } as const;
    expect((await t.ledger.decide(dec)).decision).toBe('ALLOW');
    await t.ledger.event({ ...ev, idempotencyKey: key(), actual: { unit: USD_UNIT, amount: 5 } });
    expect((await t.ledger.decide({ ...dec, idempotencyKey: key() })).decision).toBe('DENY');
    expect((await t.ledger.decide(dec)).decision).toBe('ALLOW');
    await t.check();
  });

  it('does not remember a DENY: the same key is decided again once budget allows', async () => {
    const t = await fresh();
    await t.budgets(10);
    const request = { idempotencyKey: key() };
    expect((await t.reserve(20, request)).decision).toBe('DENY');
    await t.ledger.fund({ scope: SCOPES[0], unit: USD_UNIT, amount: 10 });
    const r = await t.reserve(20, request);
    expect(r.decision).toBe('ALLOW');
    expect(await t.remaining(SCOPES[0])).toBe(0);
    await t.check();
  });
}
