/**
 * CR-DURABLE-001 and CR-DURABLE-006 with real processes: a child process does
 * the work, journals its commit and is `kill -9`ed before the commit is
 * acknowledged; new processes recover from the journal file, and the SQLite
 * ledger file they all share shows the spend exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJournalRecord, FileJournal, type RecoveryReport } from '@governor/core';
import { SqliteAuthority } from '@governor/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const worker = join(here, 'crash-worker.ts');
const SCOPES = ['tenant:acme', 'tenant:acme/workflow:support', 'tenant:acme/workflow:support/run:r1'];
const USD = 100_000_000;
const ACTUAL = 700;

let dir: string;
let ledgerPath: string;
let journalPath: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'governor-crash-'));
  ledgerPath = join(dir, 'ledger.db');
  journalPath = join(dir, 'settlements.journal');
  const ledger = new SqliteAuthority({ path: ledgerPath });
  for (const scope of SCOPES) await ledger.createBudget({ scope, unit: 'USD_MICROCENTS', allocated: USD });
  await ledger.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function child(
  args: string[],
): ChildProcess & { lines: string[]; exited: Promise<[number | null, string | null]> } {
  const proc = spawn(
    process.execPath,
    ['--conditions=@governor/source', '--import', 'tsx', worker, ...args],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  let stderr = '';
  proc.stdout
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<[number | null, string | null]>((resolve) =>
    proc.on('exit', (code, signal) => {
      if (code) process.stderr.write(stderr);
      resolve([code, signal]);
    }),
  );
  return Object.assign(proc, { lines, exited });
}

async function waitForLine(proc: ReturnType<typeof child>, prefix: string): Promise<string> {
  for (;;) {
    const line = proc.lines.find((l) => l.startsWith(prefix));
    if (line) return line;
    if (proc.exitCode !== null) throw new Error(`worker exited (${proc.exitCode}) before printing ${prefix}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Run the work in a child and kill -9 it while its commit is in flight; the commit's key and reservation. */
async function crashedWorker(
  hang: 'before-ledger' | 'after-ledger',
): Promise<{ key: string; reservationId: string }> {
  const proc = child(['work', ledgerPath, journalPath, hang]);
  const [, key, reservationId] = (await waitForLine(proc, 'COMMIT ')).split(' ') as [string, string, string];
  proc.kill('SIGKILL');
  expect(await proc.exited).toEqual([null, 'SIGKILL']);
  return { key, reservationId };
}

async function recoverInNewProcess(path = journalPath): Promise<RecoveryReport> {
  const proc = child(['recover', ledgerPath, path]);
  const [code] = await proc.exited;
  expect(code).toBe(0);
  return JSON.parse(proc.lines.at(-1) as string) as RecoveryReport;
}

async function ledgerState(reservationId: string) {
  const ledger = new SqliteAuthority({ path: ledgerPath });
  try {
    const budgets = await Promise.all(
      SCOPES.map((scope) => ledger.getBudget({ scope, unit: 'USD_MICROCENTS' })),
    );
    return { budgets, reservation: await ledger.getReservation(reservationId) };
  } finally {
    await ledger.close();
  }
}

const spentOnce = (budgets: ({ spent: number; reserved: number; debt: number } | undefined)[]) =>
  expect(budgets.map((b) => ({ spent: b?.spent, reserved: b?.reserved, debt: b?.debt }))).toEqual(
    SCOPES.map(() => ({ spent: ACTUAL, reserved: 0, debt: 0 })),
  );

describe('CR-DURABLE-001 first commit is journaled before it leaves the process (real crash)', () => {
  it.each(['before-ledger', 'after-ledger'] as const)(
    'CR-DURABLE-001 kill -9 while the first commit is in flight (%s): a new process replays it from the journal file, the SQLite ledger shows the spend once',
    async (hang) => {
      const { key, reservationId } = await crashedWorker(hang);

      // journal_write_precedes_first_settlement_request; unresolved_record_survives_restart
      const records = readFileSync(journalPath, 'utf8').trimEnd().split('\n').map(decodeJournalRecord);
      expect(records).toMatchObject([{ ok: true, record: { t: 'pending', key, entry: { reservationId } } }]);
      expect(existsSync(`${journalPath}.lock`)).toBe(true); // the dead process's lock: stale, taken over
      const before = await ledgerState(reservationId);
      expect(before.reservation.status).toBe(hang === 'after-ledger' ? 'COMMITTED' : 'ACTIVE');

      const report = await recoverInNewProcess();

      expect(report).toMatchObject({ committed: 1, failed: 0, pending: 0 });
      expect(report.settlements).toMatchObject([{ key, reservationId, outcome: 'committed' }]);
      // settlement_occurs_at_most_once: applied once, whether or not the first commit had landed
      const after = await ledgerState(reservationId);
      expect(after.reservation).toMatchObject({ status: 'COMMITTED', committed: { amount: ACTUAL } });
      spentOnce(after.budgets);
      // successful_replay_removes_record
      const journal = new FileJournal(journalPath);
      expect(journal.entries()).toEqual([]);
      journal.close();
      expect(readFileSync(journalPath, 'utf8')).not.toContain(key);
      // a second restart has nothing left to do
      expect(await recoverInNewProcess()).toMatchObject({ settlements: [] });
      spentOnce((await ledgerState(reservationId)).budgets);
    },
  );
});

describe('CR-DURABLE-006 concurrent replay remains exactly once (real processes)', () => {
  it('CR-DURABLE-006 two processes replay the same journalled commit at once on one SQLite ledger: spent once, both records removed', async () => {
    const { key, reservationId } = await crashedWorker('before-ledger');
    const copy = join(dir, 'worker-b.journal');
    copyFileSync(journalPath, copy);

    const [a, b] = await Promise.all([recoverInNewProcess(journalPath), recoverInNewProcess(copy)]);

    for (const report of [a, b]) {
      expect(report.settlements).toMatchObject([{ key, outcome: 'committed', charged: { amount: ACTUAL } }]);
    }
    spentOnce((await ledgerState(reservationId)).budgets);
    for (const path of [journalPath, copy]) expect(readFileSync(path, 'utf8')).not.toContain(key);
  });
});
