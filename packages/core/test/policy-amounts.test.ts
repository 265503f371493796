import { applyPolicy, MemoryAuthority, parseAmount, parsePolicy, readAmount, USD } from '@governor/core';
import { describe, expect, it } from 'vitest';

const budget = (unit: string, allocated: unknown) => ({
  budgets: [{ scope: 'tenant:acme', unit, allocated }],
});

describe('policy amounts, read in the budget unit', () => {
  it('takes dollars only for USD_MICROCENTS', () => {
    expect(parsePolicy(budget('USD_MICROCENTS', '$2')).budgets?.[0]?.allocated).toBe(2 * USD);
    expect(parsePolicy(budget('USD_MICROCENTS', '2.50 USD')).budgets?.[0]?.allocated).toBe(250_000_000);
    expect(parsePolicy(budget('RISK_POINTS', 200)).budgets?.[0]?.allocated).toBe(200);
    expect(() => parsePolicy(budget('RISK_POINTS', '$2'))).toThrow(
      'budgets[0].allocated: "$2" is a dollar amount, but RISK_POINTS are not dollars (dollars only for USD_MICROCENTS): expected a whole number of RISK_POINTS from 0 to 9007199254740991',
    );
    expect(() => parsePolicy(budget('TOKENS', '2 USD'))).toThrow(/"2 USD" is a dollar amount, but TOKENS/);
    expect(() =>
      parsePolicy({
        templates: [{ match: 'tenant:*/run:*', unit: 'RISK_POINTS', allocated: 5, overdraftLimit: '$1' }],
      }),
    ).toThrow('templates[0].overdraftLimit: "$1" is a dollar amount, but RISK_POINTS are not dollars');
  });

  it('names the field, the value and what is expected', () => {
    expect(() => parsePolicy(budget('USD_MICROCENTS', 1.5))).toThrow(
      'budgets[0].allocated: 1.5 is not a whole number: expected a whole number of USD_MICROCENTS from 0 to 9007199254740991 (1 USD = 100000000), or dollars as text like "$2.50"',
    );
    expect(() => parsePolicy(budget('RISK_POINTS', -3))).toThrow('budgets[0].allocated: -3 is negative');
    expect(() => parsePolicy(budget('CREDITS', true))).toThrow('budgets[0].allocated: true is not an amount');
    expect(() => parsePolicy(budget('USD_MICROCENTS', '2.50'))).toThrow(
      /budgets\[0\]\.allocated: "2\.50" is not an amount: .* \(for dollars write "\$2\.50"\)/,
    );
    expect(() => parsePolicy({ budgets: [{ scope: 'tenant:acme', unit: 'TOKENS' }] })).toThrow(
      'budgets[0].allocated: is required',
    );
    expect(() => parsePolicy(budget('USD_MICROCENTS', '$1.123456789'))).toThrow(
      'is not a dollar amount like "$2.50" (at most 8 decimals)',
    );
  });

  it('reads whole numbers written as text in every unit, never as dollars', () => {
    expect(parseAmount('200', 'USD_MICROCENTS')).toBe(200);
    expect(parseAmount('1_000', 'RISK_POINTS')).toBe(1000);
    expect(readAmount('$3', 'USD_MICROCENTS')).toEqual({ amount: 3 * USD });
    expect(() => parseAmount(Number.MAX_SAFE_INTEGER + 2, 'TOKENS', 'allocated')).toThrow(
      'allocated: must be at most 9007199254740991 TOKENS',
    );
  });
});

describe('applyPolicy is idempotent', () => {
  const policy = parsePolicy({
    budgets: [
      { scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: '$50' },
      { scope: 'tenant:acme', unit: 'RISK_POINTS', allocated: 10 },
    ],
    templates: [
      { match: 'tenant:*/workflow:support/run:*', unit: 'USD_MICROCENTS', allocated: '$2' },
      { match: 'tenant:*/workflow:support/run:*', unit: 'RISK_POINTS', allocated: 200, overdraftLimit: 0 },
    ],
    degradation: { tiers: [{ atPercent: 80, caps: { maxTokens: 256 } }] },
  });

  it('leaves the ledger as one apply left it, spent budgets included', async () => {
    const ledger = new MemoryAuthority();
    const first = await applyPolicy(ledger, policy);
    expect(first.created).toHaveLength(2);
    expect(first.templatesAdded).toHaveLength(2);
    expect(first.degradation).toBe('set');
    await ledger.debit({ scope: 'tenant:acme', unit: 'RISK_POINTS', amount: 4 });
    const reserved = await ledger.reserve({
      idempotencyKey: 'k',
      subject: { tenant: 'acme' },
      action: { kind: 'tool.call', name: 'send_email' },
      estimate: { unit: 'RISK_POINTS', amount: 3 },
    });
    await ledger.commit(reserved.reservationId as string, {
      idempotencyKey: 'k:c',
      actual: { unit: 'RISK_POINTS', amount: 3 },
    });
    const before = { budgets: await ledger.listBudgets(), templates: await ledger.listTemplates() };

    const second = await applyPolicy(ledger, policy);
    expect(second.created).toEqual([]);
    expect(second.existing.map((e) => e.unit)).toEqual(['USD_MICROCENTS', 'RISK_POINTS']);
    expect(second.templatesAdded).toEqual([]);
    expect(second.templatesExisting).toHaveLength(2);
    expect(second.degradation).toBe('unchanged');
    expect({ budgets: await ledger.listBudgets(), templates: await ledger.listTemplates() }).toEqual(before);
    expect(await ledger.getBudget({ scope: 'tenant:acme', unit: 'RISK_POINTS' })).toMatchObject({
      allocated: 6,
      spent: 3,
      remaining: 3,
    });
  });

  it('compares templates by value, not by key order', async () => {
    const ledger = new MemoryAuthority();
    await ledger.addTemplate({
      unit: 'RISK_POINTS',
      allocated: 200,
      match: 'tenant:*/workflow:support/run:*',
    });
    const applied = await applyPolicy(ledger, policy);
    expect(applied.templatesAdded.map((t) => t.unit)).toEqual(['USD_MICROCENTS']);
    expect(await ledger.listTemplates()).toHaveLength(2);
  });
});
