/**
 * Restart: everything the ledger knows survives close + reopen of its file —
 * budgets and spend, live and settled reservations, idempotency records
 * (replays answer as before, another payload is still a mismatch), templates
 * and the degradation policy — and the reopened ledger goes on from there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, type ReservationCreateRequest } from '@governor/core';
import { assertLedgerInvariant, expectError } from '@governor/core/testing';
import { afterAll, expect, it } from 'vitest';
import { SqliteAuthority } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'governor-sqlite-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const USD = 'USD_MICROCENTS' as const;
const subject = { tenant: 'acme', workflow: 'support', run: 'r1' };
const reserveRequest = (idempotencyKey: string, amount: number): ReservationCreateRequest => ({
  idempotencyKey,
  subject,
  action: { kind: 'llm.completion', name: 'gpt-4o-mini' },
  estimate: { unit: USD, amount },
  ttlMs: 30_000,
});

it('spend, reservations, idempotency records and templates survive close and reopen', async () => {
  const clock = new ManualClock();
  const path = join(dir, 'ledger.db');
  const before = new SqliteAuthority({ path, clock });
  await before.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 1_000, caps: { maxTokens: 900 } });
  await before.addTemplate({ match: 'tenant:*/workflow:support/run:*', unit: USD, allocated: 300 });
  await before.setDegradationPolicy({ tiers: [{ atPercent: 50, caps: { maxTokens: 100 } }] });
  const committed = await before.reserve(reserveRequest('rsv-1', 200));
  const commit = await before.commit(committed.reservationId as string, {
    idempotencyKey: 'cmt-1',
    actual: { unit: USD, amount: 150 },
  });
  const live = await before.reserve(reserveRequest('rsv-2', 100));
  const event = await before.event({
    idempotencyKey: 'evt-1',
    subject,
    action: { kind: 'tool.call', name: 'send_email' },
    actual: { unit: USD, amount: 20 },
  });
  const budgets = await before.listBudgets();
  const reservations = await before.listReservations({ tenant: 'acme', include: ['metadata'] });
  await before.close();
  await expectError(before.getBudget({ scope: 'tenant:acme', unit: USD }), 'INTERNAL_ERROR');

  clock.advance(10_000);
  const after = new SqliteAuthority({ path, clock });
  try {
    expect(await after.listBudgets()).toEqual(budgets);
    expect(await after.listReservations({ tenant: 'acme', include: ['metadata'] })).toEqual(reservations);
    expect(await after.listTemplates()).toEqual([
      { match: 'tenant:*/workflow:support/run:*', unit: USD, allocated: 300 },
    ]);
    expect(await after.getDegradationPolicy()).toEqual({
      tiers: [{ atPercent: 50, caps: { maxTokens: 100 } }],
    });

    // Replays answer as before (remainingTtlMs as of now); another payload is still a mismatch.
    expect(await after.reserve(reserveRequest('rsv-2', 100))).toEqual({ ...live, remainingTtlMs: 20_000 });
    expect(await after.reserve(reserveRequest('rsv-1', 200))).toEqual({ ...committed, remainingTtlMs: 0 });
    await expectError(after.reserve(reserveRequest('rsv-1', 201)), 'IDEMPOTENCY_MISMATCH');
    const replayedCommit = await after.commit(committed.reservationId as string, {
      idempotencyKey: 'cmt-1',
      actual: { unit: USD, amount: 150 },
    });
    expect(replayedCommit).toEqual(commit);
    expect(
      await after.event({
        idempotencyKey: 'evt-1',
        subject,
        action: { kind: 'tool.call', name: 'send_email' },
        actual: { unit: USD, amount: 20 },
      }),
    ).toEqual(event);
    expect(await after.getBudget({ scope: 'tenant:acme/workflow:support/run:r1', unit: USD })).toMatchObject({
      spent: 170,
      reserved: 100,
    });
    await assertLedgerInvariant(after);

    // The ledger goes on: the live reservation settles, and expiry runs on the restored deadlines.
    await after.commit(live.reservationId as string, {
      idempotencyKey: 'cmt-2',
      actual: { unit: USD, amount: 30 },
    });
    const late = await after.reserve(reserveRequest('rsv-3', 40));
    clock.advance(30_000 + 5_001);
    expect(await after.sweepExpired()).toBe(1);
    await expectError(after.getReservation(late.reservationId as string), 'RESERVATION_EXPIRED');
    expect(await after.getBudget({ scope: 'tenant:acme', unit: USD })).toMatchObject({
      spent: 200,
      reserved: 0,
    });
    await assertLedgerInvariant(after);
  } finally {
    await after.close();
  }
});

it('opens a ledger in memory (`:memory:`), and refuses a path it cannot open with a clear error', async () => {
  const ledger = new SqliteAuthority({ path: ':memory:' });
  await ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 5 });
  expect(await ledger.getBudget({ scope: 'tenant:acme', unit: USD })).toMatchObject({ remaining: 5 });
  await ledger.close();
  expect(() => new SqliteAuthority({ path: join(dir, 'no', 'such', 'dir', 'ledger.db') })).toThrow(
    /SQLite ledger unavailable: cannot open .*ledger\.db/,
  );
});
