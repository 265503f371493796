/**
 * SQLite-only: settlement replays after count-based pruning, schema-1 and
 * schema-4 files upgraded on open (live reservations counted for the live
 * cap; the column that keeps an approval's raise added).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@governor/core';
import { expectError } from '@governor/core/testing';
import { afterAll, expect, it } from 'vitest';
import { openDatabase } from '../src/driver.js';
import { SqliteAuthority } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'governor-sqlite-hardening-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const USD = 'USD_MICROCENTS' as const;
const reserve = (ledger: SqliteAuthority, idempotencyKey: string) =>
  ledger.reserve({
    idempotencyKey,
    subject: { tenant: 'acme' },
    action: { kind: 'tool.call', name: 'x' },
    estimate: { unit: USD, amount: 1 },
  });

it('replays a commit after later finalisations pruned its reservation, and across a reopen', async () => {
  const clock = new ManualClock();
  const path = join(dir, 'prune.db');
  const ledger = new SqliteAuthority({ path, clock, maxFinalizedReservations: 3, synchronous: 'NORMAL' });
  await ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 1_000 });
  const a = (await reserve(ledger, 'a')).reservationId as string;
  const commit = { idempotencyKey: 'cmt-a', actual: { unit: USD, amount: 1 } };
  const committed = await ledger.commit(a, commit);
  for (let i = 0; i < 5; i++) {
    const id = (await reserve(ledger, `later-${i}`)).reservationId as string;
    await ledger.release(id, { idempotencyKey: `rel-${i}` });
  }
  await expectError(ledger.getReservation(a), 'NOT_FOUND');
  expect(await ledger.commit(a, commit)).toEqual(committed);
  await ledger.close();
  const reopened = new SqliteAuthority({ path, clock });
  expect(await reopened.commit(a, commit)).toEqual(committed);
  await expectError(
    reopened.commit(a, { ...commit, actual: { unit: USD, amount: 2 } }),
    'IDEMPOTENCY_MISMATCH',
  );
  expect(reopened.tableSizes()).toMatchObject({ reservations: 3, settled_reservations: 3 });
  await reopened.close();
});

it('upgrades a schema-1 file: its live reservations count toward the live cap', async () => {
  const clock = new ManualClock();
  const path = join(dir, 'v1.db');
  const first = new SqliteAuthority({ path, clock });
  await first.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 1_000 });
  await reserve(first, 'a');
  await reserve(first, 'b');
  await first.close();
  // The same driver the ledger uses on this Node (better-sqlite3, or node:sqlite where its addon cannot load).
  const raw = openDatabase(path, { busyTimeoutMs: 1_000 });
  raw.exec('DROP TABLE live_reservations; PRAGMA user_version = 1');
  raw.close();
  const upgraded = new SqliteAuthority({ path, clock, maxLiveReservationsPerTenant: 3 });
  expect((await reserve(upgraded, 'c')).decision).toBe('ALLOW');
  expect((await reserve(upgraded, 'd')).reasonCode).toBe('LIVE_RESERVATION_LIMIT');
  await upgraded.close();
});

it('upgrades a schema-4 file: its reservations settle as before, and approved calls give their raise back', async () => {
  const clock = new ManualClock();
  const path = join(dir, 'v4.db');
  const first = new SqliteAuthority({ path, clock });
  await first.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 1 });
  const old = (await reserve(first, 'a')).reservationId as string;
  await first.close();
  const raw = openDatabase(path, { busyTimeoutMs: 1_000 });
  raw.exec('ALTER TABLE reservations DROP COLUMN raised; PRAGMA user_version = 4');
  raw.close();
  const upgraded = new SqliteAuthority({ path, clock });
  expect((await upgraded.release(old, { idempotencyKey: 'rel-a' })).status).toBe('RELEASED');
  await upgraded.commit((await reserve(upgraded, 'b')).reservationId as string, {
    idempotencyKey: 'cmt-b',
    actual: { unit: USD, amount: 1 },
  });
  const action = { kind: 'tool.call', name: 'x' };
  const asked = await upgraded.requestApproval({
    key: 'call-c',
    subject: { tenant: 'acme' },
    action,
    estimate: { unit: USD, amount: 1 },
    reasonCode: 'BUDGET_EXCEEDED',
    ttlMs: 60_000,
  });
  await upgraded.decideApproval({ tenant: 'acme', approvalId: asked.approvalId, decision: 'APPROVE' });
  const approved = await upgraded.reserve({
    idempotencyKey: 'c',
    subject: { tenant: 'acme' },
    action,
    estimate: { unit: USD, amount: 1 },
    metadata: { 'governor.approval': asked.approvalId },
  });
  expect(approved.decision).toBe('ALLOW');
  await upgraded.close();
  // The raise is kept with the reservation across a reopen, and given back when it is released.
  const reopened = new SqliteAuthority({ path, clock });
  expect(await reopened.getBudget({ scope: 'tenant:acme', unit: USD })).toMatchObject({ allocated: 2 });
  await reopened.release(approved.reservationId as string, { idempotencyKey: 'rel-c' });
  expect(await reopened.getBudget({ scope: 'tenant:acme', unit: USD })).toMatchObject({
    allocated: 1,
    spent: 1,
    reserved: 0,
    remaining: 0,
  });
  await reopened.close();
  const upgradedFile = openDatabase(path, { busyTimeoutMs: 1_000 });
  expect(upgradedFile.prepare('PRAGMA user_version').get()?.user_version).toBe(5);
  upgradedFile.close();
});

it('refuses budget periods with a clear error (not stored by this ledger), for budgets and templates', async () => {
  const ledger = new SqliteAuthority({ path: join(dir, 'periods.db'), clock: new ManualClock() });
  const period = { every: '1d' };
  await expectError(
    ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 1, period }),
    'INVALID_REQUEST',
    'does not support budget periods',
  );
  await expectError(
    ledger.addTemplate({ match: 'tenant:*', unit: USD, allocated: 1, period }),
    'INVALID_REQUEST',
    'does not support budget periods',
  );
  expect(await ledger.listBudgets()).toEqual([]);
  await ledger.close();
});
