/**
 * FileJournal's own mechanics: fsync'd JSON lines, bounds with a clear event
 * when full, compaction when resolved records dominate, one writer per file.
 * The recovery scenarios it serves are test/recovery/durable-scenarios.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileJournal,
  type JournalEntry,
  type JournalEvent,
  JournalFullError,
  JournalLockedError,
  ManualClock,
} from '@governor/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let dir: string;
let path: string;
const open: FileJournal[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'governor-file-journal-'));
  path = join(dir, 'j.journal');
});
afterEach(() => {
  for (const j of open.splice(0)) j.close();
  rmSync(dir, { recursive: true, force: true });
});

const journalAt = (options: Partial<ConstructorParameters<typeof FileJournal>[0] & object> = {}) => {
  const events: JournalEvent[] = [];
  const journal = new FileJournal({ path, clock: new ManualClock(), on: (e) => events.push(e), ...options });
  open.push(journal);
  return { journal, events };
};
const reopen = (journal: FileJournal) => {
  journal.close();
  open.splice(open.indexOf(journal), 1);
  return journalAt();
};

const entry = (n: number, extra: Partial<JournalEntry> = {}): JournalEntry => ({
  key: `k${n}:commit`,
  reservationId: `res_${n}`,
  subject: { tenant: 'acme', run: 'r1' },
  action: { kind: 'tool.call', name: 'send_email' },
  actual: { unit: 'RISK_POINTS', amount: n },
  ...extra,
});
const lines = () => readFileSync(path, 'utf8').trimEnd().split('\n').filter(Boolean);

describe('FileJournal', () => {
  it('writes one JSON line per record, with everything a replay needs, and nothing of the grant it is handed', async () => {
    const { journal } = journalAt();
    const grant = { decision: 'ALLOW', caps: { maxTokens: 5 }, estimate: { unit: 'RISK_POINTS', amount: 9 } };
    await journal.pending({
      ...entry(1),
      ...grant,
      metrics: { tokensOutput: 12 },
      metadata: { actual_source: 'reported', model: 'gpt-4.1-nano' },
      overagePolicy: 'ALLOW_IF_AVAILABLE',
    } as JournalEntry);

    const [line] = lines();
    const record = JSON.parse(line as string);
    expect(record).toMatchObject({
      v: 1,
      t: 'pending',
      key: 'k1:commit',
      entry: {
        reservationId: 'res_1',
        subject: { tenant: 'acme', run: 'r1' },
        action: { kind: 'tool.call', name: 'send_email' },
        actual: { unit: 'RISK_POINTS', amount: 1 },
        metrics: { tokensOutput: 12 },
        metadata: { actual_source: 'reported', model: 'gpt-4.1-nano' },
        overagePolicy: 'ALLOW_IF_AVAILABLE',
      },
      sum: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(line).not.toContain('decision');
    expect(line).not.toContain('maxTokens');
    const { journal: again } = reopen(journal);
    expect(again.entries()).toMatchObject([
      {
        key: 'k1:commit',
        metrics: { tokensOutput: 12 },
        overagePolicy: 'ALLOW_IF_AVAILABLE',
        mode: 'commit',
      },
    ]);
  });

  it('resolved entries are gone after a reopen; the order of the live ones is kept', async () => {
    const { journal } = journalAt();
    for (let n = 1; n <= 4; n++) await journal.pending(entry(n));
    await journal.resolved('k2:commit');
    await journal.resolved('k-unknown');

    const { journal: again } = reopen(journal);
    expect(again.entries().map((e) => e.key)).toEqual(['k1:commit', 'k3:commit', 'k4:commit']);
  });

  it('compacts once resolved records dominate: live entries rewritten to a temp file and renamed over it', async () => {
    const { journal, events } = journalAt({ compactAfter: 10 });
    for (let n = 1; n <= 12; n++) await journal.pending(entry(n));
    for (let n = 1; n <= 11; n++) await journal.resolved(`k${n}:commit`);

    const compactions = events.filter((e) => e.type === 'journal_compacted');
    expect(compactions.length).toBeGreaterThan(0);
    expect(compactions[0]).toMatchObject({ live: 7, records: 7 }); // 10 resolved outnumbered 7 live
    expect(lines().length).toBeLessThan(10); // of 23 records written
    expect(journal.stats).toEqual({ records: lines().length, live: 1, bytes: statSync(path).size });
    await journal.pending(entry(13)); // appends after the rename go to the new file
    const { journal: again } = reopen(journal);
    expect(again.entries().map((e) => e.key)).toEqual(['k12:commit', 'k13:commit']);
  });

  it('compaction keeps what was learnt: event mode and Retry-After', async () => {
    const { journal } = journalAt();
    await journal.pending(entry(1));
    await journal.eventMode('k1:commit');
    await journal.notBefore('k1:commit', 1_234_567);
    journal.compact();

    expect(lines()).toHaveLength(1);
    const { journal: again } = reopen(journal);
    expect(again.entries()).toMatchObject([{ key: 'k1:commit', mode: 'event', notBeforeMs: 1_234_567 }]);
  });

  it('maxEntries: a full journal reports journal_full and records nothing more; the settlement is not blocked', async () => {
    const { journal, events } = journalAt({ maxEntries: 2 });
    await journal.pending(entry(1));
    await journal.pending(entry(2));

    await expect(journal.pending(entry(3))).resolves.toBeUndefined();

    const [full] = events.filter((e) => e.type === 'journal_full');
    expect(full).toMatchObject({ key: 'k3:commit', path });
    expect(full?.type === 'journal_full' && full.error).toBeInstanceOf(JournalFullError);
    expect(full?.type === 'journal_full' && full.error.message).toMatch(/full \(maxEntries 2\)/);
    expect(journal.entries().map((e) => e.key)).toEqual(['k1:commit', 'k2:commit']);
    await journal.resolved('k1:commit');
    await journal.pending(entry(3)); // room again
    expect(journal.size).toBe(2);
  });

  it('maxBytes: compacts first, then reports journal_full when the live entries alone fill the file', async () => {
    const { journal, events } = journalAt({ maxBytes: 1_500 });
    for (let n = 1; n <= 3; n++) await journal.pending(entry(n));
    for (let n = 1; n <= 3; n++) await journal.resolved(`k${n}:commit`);
    for (let n = 4; n <= 15; n++) await journal.pending(entry(n));

    expect(events.some((e) => e.type === 'journal_compacted')).toBe(true);
    expect(statSync(path).size).toBeLessThanOrEqual(1_500);
    const full = events.filter((e) => e.type === 'journal_full');
    expect(full.length).toBeGreaterThan(0);
    expect(full[0]).toMatchObject({ error: { limit: 'maxBytes' } });
  });

  it('one writer per file: a second open fails with JournalLockedError until the first is closed', () => {
    const { journal } = journalAt();
    expect(() => new FileJournal(path)).toThrow(JournalLockedError);
    journal.close();
    open.splice(0);
    const second = new FileJournal(path);
    open.push(second);
    expect(second.size).toBe(0);
  });

  it('a lock left by a dead process (kill -9) is stale and taken over', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    writeFileSync(`${path}.lock`, `${dead.stdout.toString()}\n`);

    const { journal } = journalAt();
    await journal.pending(entry(1));

    expect(readFileSync(`${path}.lock`, 'utf8').trim()).toBe(String(process.pid));
    expect(journal.size).toBe(1);
  });

  it('close writes nothing and releases the lock; writes after close are reported, not thrown', async () => {
    const { journal, events } = journalAt();
    await journal.pending(entry(1));
    const before = readFileSync(path);
    journal.close();
    open.splice(0);

    expect(readFileSync(path)).toEqual(before);
    await expect(journal.pending(entry(2))).resolves.toBeUndefined();
    expect(events.at(-1)).toMatchObject({ type: 'journal_write_failed', key: 'k2:commit' });
  });
});
