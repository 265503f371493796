/** A settled reservation kept compact reads back as the detail it settled with, key for key, in order. */
import { describe, expect, it } from 'vitest';
import { FigureSlabs } from '../src/memory/figure-slabs.js';
import { settledReservation } from '../src/memory/settled-reservation.js';
import type { ReservationDetail } from '../src/protocol/messages.js';

const U = 'USD_MICROCENTS' as const;
const base: ReservationDetail = {
  reservationId: 'rsv_1',
  status: 'COMMITTED',
  idempotencyKey: 'k',
  subject: { tenant: 'acme', run: 'r' },
  action: { kind: 'llm.completion', name: 'm' },
  reserved: { unit: U, amount: 2 ** 53 - 1 },
  createdAtMs: 1_796_188_260_232,
  expiresAtMs: 1_796_188_320_232,
  scopePath: 'tenant:acme/run:r',
  affectedScopes: ['tenant:acme', 'tenant:acme/run:r'],
};
const rec = (detail: ReservationDetail) => ({
  detail,
  gracePeriodMs: 5_000,
  overagePolicy: 'REJECT' as const,
  extensions: 2,
});

describe('settled reservations', () => {
  it('read back as they settled', () => {
    const slabs = new FigureSlabs();
    const details: ReservationDetail[] = [
      { ...base, finalizedAtMs: 9, committed: { unit: U, amount: -0 } },
      {
        ...base,
        metadata: { a: 1 },
        finalizedAtMs: 9,
        committed: { unit: U, amount: 5 },
        committedMetadata: { b: [1] },
      },
      { ...base, status: 'RELEASED', finalizedAtMs: 9 },
      { ...base, status: 'EXPIRED', metadata: {} },
    ];
    for (const d of details) {
      const settled = settledReservation(rec(d), slabs);
      expect(settled).toBeDefined();
      expect(settled?.detail).toStrictEqual(d);
      expect(JSON.stringify(settled?.detail)).toBe(JSON.stringify(d));
      expect(settled?.detail).not.toBe(settled?.detail);
      expect([settled?.gracePeriodMs, settled?.overagePolicy, settled?.extensions]).toEqual([
        5_000,
        'REJECT',
        2,
      ]);
    }
  });

  it('leaves any other shape as it is', () => {
    const slabs = new FigureSlabs();
    const { idempotencyKey: _k, ...noKey } = base;
    for (const d of [
      { ...base, status: 'ACTIVE' as const },
      { ...base, finalizedAtMs: undefined },
      { ...base, extra: 1 } as ReservationDetail,
      { finalizedAtMs: 1, ...base },
      noKey,
      { ...base, reserved: { amount: 1, unit: U } },
    ])
      expect(settledReservation(rec(d), slabs)).toBeUndefined();
  });
});
