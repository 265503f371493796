/**
 * MemoryAuthority prunes settled reservations by count (20,000 by default):
 * a commit or release replayed after that still gets its original answer,
 * for the whole idempotency window (200,000 records, 24 h).
 */
import { expect, it } from 'vitest';
import { ManualClock, MemoryAuthority } from '../src/index.js';
import { expectError } from '../src/testing/index.js';

const USD = 'USD_MICROCENTS' as const;
const reserve = (ledger: MemoryAuthority, idempotencyKey: string) =>
  ledger.reserve({
    idempotencyKey,
    subject: { tenant: 'acme' },
    action: { kind: 'tool.call', name: 'x' },
    estimate: { unit: USD, amount: 1 },
  });

it('replays a commit and a release after 20,001 later finalisations pruned their reservations', async () => {
  const ledger = new MemoryAuthority({ clock: new ManualClock(), includeBalances: false });
  await ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 1_000_000 });
  const a = (await reserve(ledger, 'a')).reservationId as string;
  const b = (await reserve(ledger, 'b')).reservationId as string;
  const commit = { idempotencyKey: 'cmt-a', actual: { unit: USD, amount: 1 } };
  const committed = await ledger.commit(a, commit);
  const released = await ledger.release(b, { idempotencyKey: 'rel-b' });
  for (let i = 0; i < 20_001; i++) {
    const id = (await reserve(ledger, `later-${i}`)).reservationId as string;
    await ledger.release(id, { idempotencyKey: `rel-${i}` });
  }
  await expectError(ledger.getReservation(a), 'NOT_FOUND');
  await expectError(ledger.getReservation(b), 'NOT_FOUND');
  expect(await ledger.commit(a, commit)).toEqual(committed);
  expect(await ledger.release(b, { idempotencyKey: 'rel-b' })).toEqual(released);
  await expectError(ledger.commit(a, { ...commit, idempotencyKey: 'cmt-a2' }), 'NOT_FOUND');
  expect((await ledger.getBudget({ scope: 'tenant:acme', unit: USD }))?.spent).toBe(1);
});

it('keeps 200,000 idempotency records by default, as documented', async () => {
  const { DEFAULT_MAX_IDEMPOTENCY_RECORDS } = await import('../src/ledger/index.js');
  expect(DEFAULT_MAX_IDEMPOTENCY_RECORDS).toBe(200_000);
});
