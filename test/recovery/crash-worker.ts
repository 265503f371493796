/**
 * A client process for the crash tests (crash.test.ts), on a SQLite ledger
 * file and a journal file shared with the test through the disk only:
 *
 *   work <ledger> <journal> <before-ledger|after-ledger>
 *     runs one governed call whose commit is journalled and then never
 *     acknowledged: it hangs before the ledger sees it, or after the ledger
 *     applied it. Prints `COMMIT <key>` once the commit is in flight, then waits
 *     to be killed.
 *   recover <ledger> <journal>
 *     a restart: `governor.recover()`, prints its report as one JSON line.
 */
import { type Authority, type CommitRequest, createGovernor, FileJournal } from '@governor/core';
import { SqliteAuthority } from '@governor/sqlite';

export const SUBJECT = { tenant: 'acme', workflow: 'support' };
export const CALL = {
  action: { kind: 'llm.completion', name: 'gpt-4o-mini' },
  estimate: { unit: 'USD_MICROCENTS' as const, amount: 1_000 },
  subject: { run: 'r1' },
  ttlMs: 60_000,
};
export const ACTUAL = 700;

const [mode, ledgerPath, journalPath, hang] = process.argv.slice(2);
if (!mode || !ledgerPath || !journalPath)
  throw new Error('usage: crash-worker work|recover <ledger> <journal> [hang]');

const ledger = new SqliteAuthority({ path: ledgerPath });
const journal = new FileJournal(journalPath);
const say = (line: string) => process.stdout.write(`${line}\n`);

if (mode === 'work') {
  const authority: Authority = Object.assign(Object.create(null), {
    reserve: ledger.reserve.bind(ledger),
    release: ledger.release.bind(ledger),
    extend: ledger.extend.bind(ledger),
    decide: ledger.decide.bind(ledger),
    event: ledger.event.bind(ledger),
    balances: ledger.balances.bind(ledger),
    getReservation: ledger.getReservation.bind(ledger),
    listReservations: ledger.listReservations.bind(ledger),
    commit: async (id: string, request: CommitRequest) => {
      if (hang === 'after-ledger') await ledger.commit(id, request); // on disk in the ledger
      say(`COMMIT ${request.idempotencyKey} ${id}`);
      return new Promise(() => {}); // the acknowledgement never comes
    },
  });
  const governor = createGovernor({ authority, subject: SUBJECT, journal, heartbeat: false });
  void governor.run(CALL, async () => ({ value: 'done', actual: ACTUAL }));
  setInterval(() => {}, 1_000); // alive until killed
} else if (mode === 'recover') {
  const governor = createGovernor({ authority: ledger, subject: SUBJECT, journal });
  const report = await governor.recover();
  say(
    JSON.stringify({
      ...report,
      settlements: report.settlements.map(({ error, ...s }) => ({
        ...s,
        error: error ? String(error) : undefined,
      })),
    }),
  );
  journal.close();
  await ledger.close();
} else {
  throw new Error(`unknown mode ${mode}`);
}
