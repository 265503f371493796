/** The console's pure parts: amounts typed and shown, and the views computed from audit records. */
import type { AuditRecord } from '@governor/core';
import { describe, expect, it } from 'vitest';
import { chargedUnits, openReservations, runsOf, spendSeries, utilisation } from '../src/derive.js';
import { amount, parseAmount } from '../src/format.js';
import { applyScopes } from '../src/store.js';

let n = 0;
const rec = (over: Partial<AuditRecord>): AuditRecord => ({
  id: String(++n),
  prevHash: '',
  hash: '',
  body: '',
  atMs: 1_000 * n,
  tenant: 'acme',
  operation: 'reserve',
  scopes: [],
  subject: { tenant: 'acme', run: 'r1' },
  ...over,
});
const usd = (amount: number) => ({ unit: 'USD_MICROCENTS' as const, amount });

describe('amounts', () => {
  it('shows dollars with two decimals, more only when needed, and other units whole', () => {
    expect(amount('USD_MICROCENTS', 60_000_000)).toBe('$0.60');
    expect(amount('USD_MICROCENTS', 1_230_000)).toBe('$0.0123');
    expect(amount('USD_MICROCENTS', 123_456_789_000)).toBe('$1,234.56789');
    expect(amount('USD_MICROCENTS', -100_000_000)).toBe('-$1.00');
    expect(amount('RISK_POINTS', 25)).toBe('25 pt');
    expect(amount('TOKENS', 1200)).toBe('1,200 tok');
  });

  it('reads what an operator types exactly, and refuses what is not an amount', () => {
    expect(parseAmount('USD_MICROCENTS', '$2.50')).toBe(250_000_000);
    expect(parseAmount('USD_MICROCENTS', '0.00000001')).toBe(1);
    expect(parseAmount('USD_MICROCENTS', '1,000')).toBe(100_000_000_000);
    expect(parseAmount('RISK_POINTS', '25')).toBe(25);
    for (const bad of ['', '0', '-1', '1.5e3', 'abc', '0.000000001']) {
      expect(parseAmount('USD_MICROCENTS', bad), bad).toBeUndefined();
    }
    expect(parseAmount('RISK_POINTS', '2.5')).toBeUndefined();
  });
});

describe('views of the trail', () => {
  const records = [
    rec({ reservationId: 'a', decision: 'ALLOW', estimate: usd(20) }),
    rec({ operation: 'commit', reservationId: 'a', charged: usd(15) }),
    rec({ reservationId: 'b', decision: 'ALLOW', estimate: usd(20) }),
    rec({ decision: 'DENY', reasonCode: 'BUDGET_EXCEEDED', action: { kind: 'llm.completion', name: 'm' } }),
    rec({ operation: 'event', charged: { unit: 'RISK_POINTS', amount: 1 } }),
    rec({ operation: 'commit', reservationId: 'c', charged: usd(5), subject: { tenant: 'acme', run: 'r2' } }),
  ];

  it('charts cumulative spend per unit, USD first', () => {
    expect(chargedUnits(records)).toEqual(['USD_MICROCENTS', 'RISK_POINTS']);
    const [xs, ys] = spendSeries(records, 'USD_MICROCENTS');
    expect(ys).toEqual([15, 20]);
    expect(xs).toHaveLength(2);
  });

  it('sums spend and collects denials per run, the latest run first', () => {
    const [r2, r1] = runsOf(records);
    expect(r2).toMatchObject({ run: 'r2', spent: { USD_MICROCENTS: 5 }, calls: 0 });
    expect(r1).toMatchObject({ run: 'r1', calls: 3, spent: { USD_MICROCENTS: 15, RISK_POINTS: 1 } });
    expect(r1?.denials).toEqual([expect.objectContaining({ action: 'm', reasonCode: 'BUDGET_EXCEEDED' })]);
  });

  it('keeps reservations open until a commit, release or expiry', () => {
    expect(openReservations(records).map((r) => r.reservationId)).toEqual(['b']);
  });

  it("takes a budget's figures from the latest record that touched it", () => {
    const scope = { scope: 'tenant:acme', unit: 'USD_MICROCENTS' as const, status: 'FROZEN' as const };
    const figures = { allocated: 100, spent: 60, reserved: 0, debt: 0, remaining: 40 };
    const [b] = applyScopes([], rec({ scopes: [{ ...scope, ...figures, delta: { spent: 15 } }] }));
    expect(b).toMatchObject({ ...scope, ...figures, isOverLimit: false });
    expect(b).not.toHaveProperty('delta');
    expect(utilisation(b as NonNullable<typeof b>)).toBeCloseTo(0.6);
    expect(utilisation({ allocated: 0, remaining: 0 })).toBe(1);
  });
});
