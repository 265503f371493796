import { expect, it } from 'vitest';
import { expectError } from '../expect-error.js';
import { SCOPES, type TestLedger, USD_UNIT } from '../harness.js';

/** Balances and reservation listing: filters, ordering, projection, pages. */
export function queryChecks(fresh: () => Promise<TestLedger>) {
  it('balances: the filter scope alone, or with its children; paged by cursor', async () => {
    const t = await fresh();
    await t.budgets(100, 100, 100);
    await t.ledger.createBudget({ scope: SCOPES[0], unit: 'RISK_POINTS', allocated: 9 });
    await t.ledger.createBudget({ scope: 'tenant:globex', unit: USD_UNIT, allocated: 1 });
    const own = await t.ledger.balances({ tenant: 'acme' });
    expect(own.balances.map((b) => `${b.scope} ${b.remaining.unit}`)).toEqual([
      `${SCOPES[0]} RISK_POINTS`,
      `${SCOPES[0]} USD_MICROCENTS`,
    ]);
    const run = await t.ledger.balances({ tenant: 'acme', workflow: 'support', run: 'r1' });
    expect(run.balances.map((b) => b.scope)).toEqual([SCOPES[2]]);
    const all = await t.ledger.balances({ tenant: 'acme', includeChildren: true });
    expect(all.balances).toHaveLength(4);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await t.ledger.balances({
        tenant: 'acme',
        includeChildren: true,
        limit: 3,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.balances.map((b) => `${b.scope} ${b.remaining.unit}`));
      expect(page.hasMore ?? false).toBe(page.nextCursor !== undefined);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.balances.map((b) => `${b.scope} ${b.remaining.unit}`));
    await expectError(t.ledger.balances({ tenant: 'acme', cursor: 'bogus' }), 'INVALID_REQUEST', 'cursor');
    const first = await t.ledger.balances({ tenant: 'acme', includeChildren: true, limit: 1 });
    await expectError(
      t.ledger.balances({ tenant: 'globex', cursor: first.nextCursor as string }),
      'INVALID_REQUEST',
      'cursor',
    );
  });

  it('lists reservations by status, key, subject and time, sorted and paged', async () => {
    const t = await fresh();
    await t.budgets(1_000);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await t.reserveId(10 + i, { idempotencyKey: `list-${i}`, metadata: { i } }));
      await t.advance(1_000);
    }
    await t.commit(ids[0] as string, 5);
    await t.release(ids[1] as string);
    const active = await t.ledger.listReservations({
      status: 'ACTIVE',
      sortBy: 'created_at_ms',
      sortDir: 'asc',
    });
    expect(active.reservations.map((r) => r.reservationId)).toEqual(ids.slice(2));
    expect(active.reservations[0]?.metadata).toBeUndefined();
    const withMeta = await t.ledger.listReservations({ idempotencyKey: 'list-3', include: ['metadata'] });
    expect(withMeta.reservations.map((r) => [r.reservationId, r.metadata])).toEqual([[ids[3], { i: 3 }]]);
    const committed = await t.ledger.listReservations({ status: 'COMMITTED' });
    expect(committed.reservations[0]).toMatchObject({ reservationId: ids[0], committed: { amount: 5 } });
    const byAmount = await t.ledger.listReservations({ sortBy: 'reserved', sortDir: 'desc' });
    expect(byAmount.reservations.map((r) => r.reserved.amount)).toEqual([14, 13, 12, 11, 10]);
    const detail = await t.ledger.getReservation(ids[2] as string);
    const window = await t.ledger.listReservations({
      from: new Date(detail.createdAtMs).toISOString(),
      to: new Date(detail.createdAtMs + 1_000).toISOString(),
      sortDir: 'asc',
    });
    expect(window.reservations.map((r) => r.reservationId)).toEqual([ids[2], ids[3]]);
    const finalized = await t.ledger.listReservations({
      finalizedFrom: '2000-01-01T00:00:00Z',
      sortDir: 'asc',
    });
    expect(finalized.reservations.map((r) => r.reservationId).sort()).toEqual([ids[0], ids[1]].sort());
    const blank = await t.ledger.listReservations({ from: '', to: '  ' });
    expect(blank.reservations).toHaveLength(5);
    expect((await t.ledger.listReservations({ workflow: 'billing' })).reservations).toHaveLength(0);
    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await t.ledger.listReservations({
        limit: 2,
        sortBy: 'reservation_id',
        ...(cursor ? { cursor } : {}),
      });
      pages.push(...page.reservations.map((r) => r.reservationId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages).toEqual([...ids].sort().reverse());
  });
}
