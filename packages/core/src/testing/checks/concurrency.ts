import { expect, it } from 'vitest';
import { key, SCOPES, type TestLedger, USD_UNIT } from '../harness.js';

export interface ConcurrencyOptions {
  /** Concurrent reserve attempts; default 10,000. */
  attempts?: number;
  /** What the budget fits exactly; default 3,737. */
  fits?: number;
}

/** Many reserves in flight at once: exactly what the budget fits is accepted, never more. */
export function concurrencyChecks(fresh: () => Promise<TestLedger>, options: ConcurrencyOptions = {}) {
  const attempts = options.attempts ?? 10_000;
  const fits = options.fits ?? 3_737;

  it(`accepts exactly ${fits} of ${attempts} concurrent reserves against a budget that fits ${fits}`, async () => {
    const t = await fresh();
    await t.budgets(attempts * 10, attempts * 10, fits * 2);
    const answers = await Promise.all(Array.from({ length: attempts }, () => t.reserve(2)));
    const accepted = answers.filter((a) => a.decision === 'ALLOW');
    expect(accepted).toHaveLength(fits);
    expect(answers.filter((a) => a.decision === 'DENY' && a.reasonCode === 'BUDGET_EXCEEDED')).toHaveLength(
      attempts - fits,
    );
    expect(new Set(accepted.map((a) => a.reservationId)).size).toBe(fits);
    expect(await t.budgetOf(SCOPES[2])).toMatchObject({ reserved: fits * 2, remaining: 0 });
    await t.check();

    const settled = await Promise.all(
      accepted.map((a, i) =>
        i % 3 === 0 ? t.release(a.reservationId as string) : t.commit(a.reservationId as string, 1),
      ),
    );
    const charged = settled.reduce((sum, s) => sum + ('charged' in s ? s.charged.amount : 0), 0);
    expect(charged).toBe(fits - Math.ceil(fits / 3));
    for (const scope of SCOPES)
      expect(await t.budgetOf(scope)).toMatchObject({ reserved: 0, spent: charged });
    await t.check();
  });

  it('one reservation for many concurrent retries of the same key', async () => {
    const t = await fresh();
    await t.budgets(1_000);
    const idempotencyKey = key();
    const answers = await Promise.all(Array.from({ length: 200 }, () => t.reserve(3, { idempotencyKey })));
    expect(new Set(answers.map((a) => a.reservationId)).size).toBe(1);
    expect(await t.budgetOf(SCOPES[0])).toMatchObject({ reserved: 3 });
    const commits = await Promise.all(
      Array.from({ length: 50 }, () =>
        t.ledger.commit(answers[0]?.reservationId as string, {
          idempotencyKey: 'same-commit',
          actual: { unit: USD_UNIT, amount: 2 },
        }),
      ),
    );
    expect(new Set(commits.map((c) => c.charged.amount))).toEqual(new Set([2]));
    expect(await t.budgetOf(SCOPES[0])).toMatchObject({ reserved: 0, spent: 2 });
    await t.check();
  });
}
