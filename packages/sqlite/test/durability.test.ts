/**
 * Durability: worker processes reserve + commit in a loop on one ledger file
 * and print each acknowledged commit; they are killed with SIGKILL mid-load.
 * Reopened, the ledger holds every acknowledged commit exactly once, the
 * invariant holds, and spent is exactly the sum of the commits in the file
 * (acknowledged ones and any that landed before the kill): none lost, none
 * applied twice.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ReservationDetail } from '@governor/core';
import { assertLedgerInvariant } from '@governor/core/testing';
import { afterAll, expect, it } from 'vitest';
import { SqliteAuthority } from '../src/index.js';

const WORKERS = 2;
const ACKS_BEFORE_KILL = 150; // per worker
const dir = mkdtempSync(join(tmpdir(), 'governor-sqlite-durability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Spawn a worker; `acks` collects every acknowledged commit it prints. */
function startWorker(path: string, acks: Map<string, number>) {
  const worker = fileURLToPath(new URL('./durability-worker.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--conditions=@governor/source', '--import', 'tsx', worker, path, '100000'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  let seen = 0;
  const enough = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const [id, amount] = line.split(' ');
      acks.set(id as string, Number(amount));
      if (++seen === ACKS_BEFORE_KILL) resolve();
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`worker exited early (${code}): ${stderr}`));
    });
  });
  return { child, enough };
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode ? resolve() : child.once('exit', () => resolve()),
  );

it(`${WORKERS} processes killed with SIGKILL mid-load: every acknowledged commit is in the file exactly once`, async () => {
  const path = join(dir, 'ledger.db');
  const setup = new SqliteAuthority({ path });
  await setup.createBudget({ scope: 'tenant:acme', unit: 'RISK_POINTS', allocated: 10_000_000 });
  await setup.addTemplate({
    match: 'tenant:*/workflow:support/run:*',
    unit: 'RISK_POINTS',
    allocated: 1_000_000,
  });
  await setup.close();

  const acks = new Map<string, number>();
  const workers = Array.from({ length: WORKERS }, () => startWorker(path, acks));
  try {
    await Promise.all(workers.map((w) => w.enough));
  } finally {
    for (const { child } of workers) child.kill('SIGKILL');
    await Promise.all(workers.map((w) => exited(w.child)));
  }
  expect(acks.size).toBeGreaterThanOrEqual(WORKERS * ACKS_BEFORE_KILL);

  const ledger = new SqliteAuthority({ path });
  try {
    const all: ReservationDetail[] = [];
    let cursor: string | undefined;
    do {
      const page = await ledger.listReservations({
        tenant: 'acme',
        limit: 200,
        ...(cursor ? { cursor } : {}),
      });
      all.push(...page.reservations);
      cursor = page.nextCursor;
    } while (cursor);
    const byId = new Map(all.map((r) => [r.reservationId, r]));
    expect(byId.size).toBe(all.length);
    for (const [id, amount] of acks) {
      expect(byId.get(id), id).toMatchObject({ status: 'COMMITTED', committed: { amount } });
    }
    const committed = all.filter((r) => r.status === 'COMMITTED');
    const spent = committed.reduce((sum, r) => sum + (r.committed?.amount ?? 0), 0);
    // At most one commit per worker can have landed without being acknowledged yet.
    expect(committed.length - acks.size).toBeLessThanOrEqual(WORKERS);
    expect(await ledger.getBudget({ scope: 'tenant:acme', unit: 'RISK_POINTS' })).toMatchObject({ spent });
    await assertLedgerInvariant(ledger);
  } finally {
    await ledger.close();
  }
}, 20_000);
