/** Replay records keep the hot answers as figures: the answer given back is the original, key for key, in order. */
import { describe, expect, it } from 'vitest';
import { BalanceFrames } from '../src/memory/balance-frames.js';
import { AnswerKeeper } from '../src/memory/kept-answers.js';
import type { Balance } from '../src/protocol/types.js';

const U = 'USD_MICROCENTS' as const;
const balance = (scope: string, reserved: number, spent: number, debt = 0, isOverLimit = false): Balance => ({
  scope,
  scopePath: scope,
  remaining: { unit: U, amount: 1_000 - spent - reserved - debt },
  reserved: { unit: U, amount: reserved },
  spent: { unit: U, amount: spent },
  debt: { unit: U, amount: debt },
  allocated: { unit: U, amount: 1_000 },
  overdraftLimit: { unit: U, amount: 0 },
  isOverLimit,
});
const scopes = ['tenant:a', 'tenant:a/run:r'];
const answers: unknown[] = [
  {
    decision: 'ALLOW',
    affectedScopes: scopes,
    scopePath: 'tenant:a/run:r',
    reservationId: 'rsv_1',
    reserved: { unit: U, amount: 10 },
    expiresAtMs: 1_796_188_320_232,
    balances: [balance('tenant:a', 10, 5), balance('tenant:a/run:r', 10, 0, 3, true)],
  },
  {
    decision: 'ALLOW',
    affectedScopes: scopes,
    scopePath: 'tenant:a/run:r/agent:x',
    reservationId: 'rsv_2',
    reserved: { unit: U, amount: 10 },
    expiresAtMs: 5,
  },
  { status: 'COMMITTED', charged: { unit: U, amount: 9 }, released: { unit: U, amount: 1 } },
  { status: 'COMMITTED', charged: { unit: U, amount: 12 }, balances: [balance('tenant:a', 0, -0)] },
  { status: 'RELEASED', released: { unit: U, amount: 10 }, balances: [balance('tenant:a', 0, 2 ** 53 - 1)] },
  // Not the hot shapes: kept as copies.
  { decision: 'ALLOW_WITH_CAPS', affectedScopes: scopes, scopePath: 'x', caps: { maxTokens: 5 } },
  { status: 'COMMITTED', balances: [balance('tenant:a', 0, 0)], charged: { unit: U, amount: 1 } },
  { status: 'ACTIVE', expiresAtMs: 7, balances: [{ ...balance('tenant:a', 1, 1), scopePath: 'other' }] },
  { status: 'RELEASED', released: { unit: U, amount: 1 }, extra: 1 },
  'text',
];

describe('kept answers', () => {
  it('give back every answer equal to the original, in key order, a fresh copy each time', () => {
    const keeper = new AnswerKeeper();
    for (const original of answers) {
      const kept = keeper.keep('d', structuredClone(original));
      const again = kept.answer();
      expect(again).toStrictEqual(original);
      expect(JSON.stringify(again)).toBe(JSON.stringify(original));
      if (typeof again === 'object') expect(kept.answer()).not.toBe(again);
    }
  });

  it('share one frame between answers on the same budgets, and not once a static figure moves', () => {
    const frames = new BalanceFrames();
    const a = [balance('tenant:a', 1, 2)];
    const b = [balance('tenant:a', 3, 4)];
    const c = [{ ...balance('tenant:a', 3, 4), isOverLimit: true }];
    expect(frames.frameOf(a, U)).toBe(frames.frameOf(b, U));
    expect(frames.frameOf(c, U)).not.toBe(frames.frameOf(a, U));
  });
});
