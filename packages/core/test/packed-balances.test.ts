/** Replay records keep balances packed: the unpacked answer is the original, field for field. */
import { describe, expect, it } from 'vitest';
import { packBalances, unpackBalances } from '../src/memory/packed-balances.js';
import type { Balance } from '../src/protocol/types.js';

const U = 'USD_MICROCENTS' as const;
const full: Balance = {
  scope: 'tenant:acme',
  scopePath: 'tenant:acme',
  remaining: { unit: U, amount: -5 },
  reserved: { unit: U, amount: 10 },
  spent: { unit: U, amount: 2 ** 53 - 1 },
  debt: { unit: U, amount: 5 },
  allocated: { unit: U, amount: 0 },
  overdraftLimit: { unit: U, amount: 7 },
  isOverLimit: true,
};

describe('packed balances', () => {
  it('round-trips every field, absent ones staying absent, scope paths that differ kept', () => {
    const sparse: Balance = {
      scope: 'tenant:acme/run:r1',
      scopePath: 'tenant:acme/run:r1',
      remaining: { unit: U, amount: 3 },
    };
    const otherPath: Balance = {
      ...full,
      scope: 'tenant:acme/workflow:w',
      scopePath: 'x',
      isOverLimit: false,
    };
    for (const balances of [[full], [sparse, full], [full, otherPath, sparse]]) {
      const packed = packBalances(balances);
      expect(packed).toBeDefined();
      expect(unpackBalances(packed as NonNullable<typeof packed>)).toStrictEqual(balances);
    }
  });

  it('leaves balances in more than one unit unpacked', () => {
    expect(packBalances([full, { ...full, remaining: { unit: 'TOKENS', amount: 1 } }])).toBeUndefined();
    expect(packBalances([{ ...full, debt: { unit: 'TOKENS', amount: 1 } }])).toBeUndefined();
    expect(packBalances([])).toBeUndefined();
  });
});
