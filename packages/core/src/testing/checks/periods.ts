import { expect, it } from 'vitest';
import { isAuditTrail } from '../../audit/types.js';
import type { BudgetRollover } from '../../authority.js';
import { assertAuditReplays } from '../audit-invariant.js';
import { expectError } from '../expect-error.js';
import { SCOPES, type TestLedger, USD_UNIT } from '../harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TENANT = SCOPES[0];

/** How many budget.rollover records the trail holds (undefined without a trail). */
async function rollovers(t: TestLedger): Promise<number | undefined> {
  if (!isAuditTrail(t.ledger)) return undefined;
  const page = await t.ledger.queryAudit({ tenant: 'acme', operation: 'budget.rollover', limit: 100 });
  return page.records.length;
}

/** The ledger's time now, as the reservation it makes says. */
async function ledgerNow(t: TestLedger): Promise<number> {
  const id = await t.reserveId(0);
  const { createdAtMs } = await t.ledger.getReservation(id);
  await t.release(id);
  return createdAtMs;
}

async function spend(t: TestLedger, amount: number) {
  await t.commit(await t.reserveId(amount), amount);
}

/** Wall-clock day and time of `ms` in `timeZone`, e.g. "1 00:00". */
const localDayTime = (ms: number, timeZone: string) => {
  const f = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
  return f.format(ms).replace(',', '').replace(' at ', ' ');
};

/** Budget periods: rollover at the first operation after the boundary, each policy, in-flight reservations. */
export function periodChecks(fresh: () => Promise<TestLedger>) {
  it('a duration period rolls over lazily: reads show the new period, the first operation records it', async () => {
    const t = await fresh();
    const created = await t.budget(TENANT, 100, { period: { every: '1h' } });
    expect(created).toMatchObject({ period: { every: '1h' }, rollover: 'none', allocated: 100 });
    const start = created.periodStartMs as number;
    expect(created.periodEndMs).toBe(start + HOUR);
    await spend(t, 60);
    await t.advance(HOUR - 1);
    expect(await t.budgetOf(TENANT)).toMatchObject({ spent: 60, remaining: 40, periodStartMs: start });
    await t.advance(1);
    // No operation yet: the read shows the new period, the trail has no rollover.
    expect(await t.budgetOf(TENANT)).toMatchObject({
      spent: 0,
      remaining: 100,
      periodStartMs: start + HOUR,
      periodEndMs: start + 2 * HOUR,
    });
    const listed = (await t.ledger.balances({ tenant: 'acme' })).balances[0];
    expect(listed?.spent?.amount).toBe(0);
    expect([0, undefined]).toContain(await rollovers(t));
    // Several boundaries later, one rollover, into the period `now` falls in.
    await t.advance(2 * HOUR + 5);
    expect((await t.reserve(100)).decision).toBe('ALLOW');
    expect(await t.budgetOf(TENANT)).toMatchObject({
      reserved: 100,
      spent: 0,
      periodStartMs: start + 3 * HOUR,
    });
    expect([1, undefined]).toContain(await rollovers(t));
    await t.check();
    await assertAuditReplays(t.ledger);
  });

  const cases: [BudgetRollover, number[]][] = [
    // Spend 30 of 100 in the first period, nothing after: the allocation of the next two periods.
    ['none', [100, 100]],
    ['carry_forward', [170, 270]],
    ['cap_at_allocated', [170, 200]],
  ];
  for (const [rollover, [second, third]] of cases) {
    it(`rollover ${rollover}: the next periods' allocations`, async () => {
      const t = await fresh();
      await t.budget(TENANT, 100, { period: { every: '1d' }, rollover });
      await spend(t, 30);
      await t.advance(DAY);
      await t.ledger.decide({
        idempotencyKey: `d-${rollover}`,
        subject: { tenant: 'acme' },
        action: { kind: 'a', name: 'b' },
        estimate: { unit: USD_UNIT, amount: 1 },
      });
      expect(await t.budgetOf(TENANT)).toMatchObject({ allocated: second, spent: 0, remaining: second });
      await t.advance(DAY);
      await spend(t, 0);
      expect(await t.budgetOf(TENANT)).toMatchObject({ allocated: third, spent: 0, remaining: third });
      await t.check();
      await assertAuditReplays(t.ledger);
    });
  }

  it('a reservation made before the boundary and committed after it is paid from its own period', async () => {
    const t = await fresh();
    await t.budget(TENANT, 100, { period: { every: '1h' } });
    await spend(t, 50);
    const id = await t.reserveId(40, { ttlMs: 2 * HOUR });
    await t.advance(HOUR);
    // The carried reservation brings what it set aside: the new period has its whole allocation.
    expect(await t.budgetOf(TENANT)).toMatchObject({
      allocated: 140,
      spent: 0,
      reserved: 40,
      remaining: 100,
    });
    const committed = await t.commit(id, 30);
    expect(committed.charged).toEqual({ unit: USD_UNIT, amount: 30 });
    expect(await t.budgetOf(TENANT)).toMatchObject({
      allocated: 140,
      spent: 30,
      reserved: 0,
      remaining: 110,
    });
    // A new reservation after the boundary is the new period's.
    expect((await t.reserve(111)).decision).toBe('DENY');
    expect((await t.reserve(110)).decision).toBe('ALLOW');
    await t.check();
    await assertAuditReplays(t.ledger);
  });

  it('debt stays owed across a rollover', async () => {
    const t = await fresh();
    await t.budget(TENANT, 100, { period: { every: '1h' }, rollover: 'carry_forward', overdraftLimit: 50 });
    await t.commit(await t.reserveId(100, { overagePolicy: 'ALLOW_WITH_OVERDRAFT' }), 120);
    expect(await t.budgetOf(TENANT)).toMatchObject({ spent: 100, debt: 20, remaining: -20 });
    await t.advance(HOUR);
    await spend(t, 0);
    expect(await t.budgetOf(TENANT)).toMatchObject({ allocated: 100, spent: 0, debt: 20, remaining: 80 });
    await t.check();
    await assertAuditReplays(t.ledger);
  });

  it('a monthly period starts at local midnight of its day in its time zone, across DST changes', async () => {
    const t = await fresh();
    const timeZone = 'Europe/Paris';
    const created = await t.budget(TENANT, 100, { period: { monthly: { day: 1, timeZone } } });
    let start = created.periodStartMs as number;
    let end = created.periodEndMs as number;
    expect(start).toBeLessThanOrEqual(await ledgerNow(t));
    const lengths: number[] = [];
    for (let month = 0; month < 12; month++) {
      expect(localDayTime(start, timeZone)).toBe('1 00:00');
      expect(localDayTime(end, timeZone)).toBe('1 00:00');
      expect(start % HOUR).toBe(0);
      expect(start % DAY).not.toBe(0); // midnight in Paris is never midnight UTC
      lengths.push(end - start);
      await spend(t, 10);
      await t.advance(end - (await ledgerNow(t)) - 1);
      expect((await t.budgetOf(TENANT)).periodStartMs).toBe(start);
      await t.advance(1);
      await spend(t, 0);
      const b = await t.budgetOf(TENANT);
      expect(b).toMatchObject({ periodStartMs: end, spent: 0, allocated: 100 });
      start = end;
      end = b.periodEndMs as number;
    }
    // Months of 28 to 31 days, two of them an hour shorter or longer (summer time).
    expect(lengths.filter((l) => l % DAY !== 0).map((l) => l % DAY)).toEqual(
      expect.arrayContaining([DAY - HOUR, HOUR]),
    );
    await t.check();
    await assertAuditReplays(t.ledger);
  });

  it('templates with a period materialise with the period, started when they materialise', async () => {
    const t = await fresh();
    await t.ledger.addTemplate({
      match: 'tenant:*/workflow:support/run:*',
      unit: USD_UNIT,
      allocated: 50,
      period: { every: '1h' },
      rollover: 'cap_at_allocated',
    });
    expect(await t.ledger.listTemplates()).toMatchObject([
      { period: { every: '1h' }, rollover: 'cap_at_allocated' },
    ]);
    const now = await ledgerNow(t);
    const run = SCOPES[2];
    expect(await t.budgetOf(run)).toMatchObject({
      allocated: 50,
      period: { every: '1h' },
      rollover: 'cap_at_allocated',
      periodStartMs: now,
      periodEndMs: now + HOUR,
    });
    await spend(t, 20);
    await t.advance(HOUR);
    await spend(t, 0);
    expect(await t.budgetOf(run)).toMatchObject({ allocated: 80, spent: 0, periodStartMs: now + HOUR });
    await t.check();
    await assertAuditReplays(t.ledger);
  });

  it('setAllocation changes the allocation of the periods to come; invalid periods are refused', async () => {
    const t = await fresh();
    await t.budget(TENANT, 100, { period: { every: '1h' } });
    await t.ledger.setAllocation({ scope: TENANT, unit: USD_UNIT, amount: 40 });
    await t.advance(HOUR);
    await spend(t, 0);
    expect(await t.budgetOf(TENANT)).toMatchObject({ allocated: 40 });
    await expectError(t.budget(SCOPES[1], 1, { rollover: 'none' }), 'INVALID_REQUEST', 'period');
    await expectError(t.budget(SCOPES[1], 1, { period: { every: '1 day' } }), 'INVALID_REQUEST', 'duration');
    await expectError(
      t.budget(SCOPES[1], 1, { period: { monthly: { day: 31, timeZone: 'Europe/Paris' } } }),
      'INVALID_REQUEST',
    );
    await expectError(
      t.budget(SCOPES[1], 1, { period: { monthly: { day: 1, timeZone: 'Mars/Olympus' } } }),
      'INVALID_REQUEST',
      'time zone',
    );
    await t.check();
  });
}
