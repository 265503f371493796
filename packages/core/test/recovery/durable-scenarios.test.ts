/**
 * The `durable` scenarios of the client-recovery catalog
 * (shared/spec/client-recovery-scenarios.yaml), bound to native tests: a real
 * FileJournal on disk, client processes that crash (their journal file is all
 * that survives) and restart with `governor.recover()`, over one real
 * MemoryAuthority ledger that outlives them. Each test asserts the scenario's
 * request choreography and its listed assertions, then the ledger. The crash
 * of a real OS process (`kill -9`, a SQLite ledger) is test/recovery/crash.test.ts.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Amount,
  type Authority,
  canonicalJson,
  flushMicrotasks,
  JournalLockedError,
  journalPathFor,
  type ReservationCreateResponse,
  UnauthorizedError,
} from '@governor/core';
import { expectError } from '@governor/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type DurableWorld, durableWorld, recordsOnDisk } from './durable-env.js';
import { ACTION, ACTUAL, CALL, CALL_SUBJECT, expectLedger, type RecoveryEnv, UNIT } from './env.js';

const actual: Amount = { unit: UNIT, amount: ACTUAL };
const work = async () => ({ value: 'answer', actual: ACTUAL });

let world: DurableWorld;
afterEach(() => world?.cleanup());

/** The ledger checks of the core scenarios, on the durable world's ledger. */
const ledgerShows = (spent: number) =>
  expectLedger({ ledger: world.ledger } as unknown as RecoveryEnv, spent);

/** Start a call whose commit hangs, wait until that commit is in flight, then kill the process. */
async function crashDuringCommit(hang: 'before-ledger' | 'after-ledger', calls = 1) {
  const proc = world.start({ hang });
  for (let i = 0; i < calls; i++) void proc.governor.run({ ...CALL, idempotencyKey: `call-${i}` }, work);
  await proc.commitsArrived(calls);
  proc.crash();
  return proc;
}

/** Lines of the journal file that mention `text`. */
const linesWith = (path: string, text: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.includes(text));

describe('CR-DURABLE-001 first commit is journaled before it leaves the process', () => {
  it('CR-DURABLE-001 crash while the first commit is in flight (applied, answer lost): the restart replays it with the same key, spent once', async () => {
    world = await durableWorld();
    // journal_write_precedes_first_settlement_request: what the disk holds as the commit arrives
    let onDiskAtCommit: ReturnType<typeof recordsOnDisk> = [];
    const first = world.start({
      hang: 'after-ledger',
      onRequest: () => {
        onDiskAtCommit = recordsOnDisk(world.journalPath);
      },
    });
    void first.governor.run(CALL, work);
    await first.commitsArrived();
    first.crash();

    const [commit] = first.faulty.requestsFor('commit');
    const key = commit?.idempotencyKey as string;
    const reservationId = commit?.reservationId as string;
    expect(onDiskAtCommit).toEqual([
      expect.objectContaining({
        t: 'pending',
        key,
        entry: expect.objectContaining({ reservationId, subject: CALL_SUBJECT, action: ACTION, actual }),
      }),
    ]);

    // unresolved_record_survives_restart
    const second = world.start();
    expect(second.journal.entries()).toMatchObject([
      { key, reservationId, subject: CALL_SUBJECT, action: ACTION, actual, mode: 'commit' },
    ]);
    const report = await world.clock.runUntilSettled(second.governor.recover());

    expect(report).toMatchObject({ committed: 1, events: 0, failed: 0, pending: 0 });
    // expected_requests: commit, commit_same_key_after_restart — the very same request
    expect(world.settlementSteps()).toEqual([
      ['commit', key],
      ['commit', key],
    ]);
    const [replayed] = second.faulty.requestsFor('commit');
    expect(replayed?.request).toEqual(commit?.request);
    expect(replayed?.reservationId).toBe(reservationId);
    // successful_replay_removes_record: nothing live, and not on disk either (compacted)
    expect(second.journal.entries()).toEqual([]);
    expect(linesWith(world.journalPath, key)).toEqual([]);
    // settlement_occurs_at_most_once
    expect(await world.ledger.getReservation(reservationId)).toMatchObject({
      status: 'COMMITTED',
      committed: actual,
    });
    await ledgerShows(ACTUAL);

    // and a third start finds nothing to do
    second.stop();
    const third = world.start();
    expect(await world.clock.runUntilSettled(third.governor.recover())).toMatchObject({ settlements: [] });
    expect(third.faulty.requests).toEqual([]);
  });

  it('CR-DURABLE-001 crash before the commit reached the ledger: the replay applies it, once', async () => {
    world = await durableWorld();
    const first = await crashDuringCommit('before-ledger');
    const key = first.faulty.requests[0]?.idempotencyKey; // the reserve's; the commit key derives from it
    // reserved, not spent: the ledger never saw the commit
    expect(await world.ledger.getBudget({ scope: 'tenant:acme', unit: UNIT })).toMatchObject({
      reserved: 1_000,
      spent: 0,
    });

    const second = world.start();
    const report = await world.clock.runUntilSettled(second.governor.recover());

    expect(report.settlements).toMatchObject([{ outcome: 'committed', charged: actual }]);
    expect(second.faulty.requestsFor('commit').map((r) => r.idempotencyKey)).toEqual([`${key}:commit`]);
    expect(second.events.filter((e) => e.type === 'commit')).toMatchObject([{ actual, charged: actual }]);
    await ledgerShows(ACTUAL);
  });

  it('CR-DURABLE-001 several calls in flight at the crash: each replays with its own key, each charged once', async () => {
    world = await durableWorld();
    const first = await crashDuringCommit('after-ledger', 3);
    const keys = first.faulty.requestsFor('commit').map((r) => r.idempotencyKey);

    const second = world.start();
    const report = await world.clock.runUntilSettled(second.governor.recover());

    expect(report.committed).toBe(3);
    expect(
      second.faulty
        .requestsFor('commit')
        .map((r) => r.idempotencyKey)
        .sort(),
    ).toEqual([...keys].sort());
    await ledgerShows(3 * ACTUAL);
  });

  it('CR-DURABLE-001 a torn last line (the crash cut a write short) is skipped, not fatal; the records before it replay', async () => {
    world = await durableWorld();
    await crashDuringCommit('after-ledger');
    const intact = readFileSync(world.journalPath, 'utf8');
    const torn = '{"v":1,"t":"pending","key":"call-9:com'; // no newline: cut short
    writeFileSync(world.journalPath, `${intact}${torn}`);

    const second = world.start();

    expect(second.journalEvents).toMatchObject([{ type: 'journal_torn_tail', bytes: torn.length }]);
    expect(readFileSync(world.journalPath, 'utf8')).toBe(intact);
    const report = await world.clock.runUntilSettled(second.governor.recover());
    expect(report).toMatchObject({ committed: 1, failed: 0 });
    await ledgerShows(ACTUAL);
  });
});

describe('CR-DURABLE-002 replayed expired commit switches durably to event mode', () => {
  it('CR-DURABLE-002 the replayed commit meets RESERVATION_EXPIRED: event mode is on disk before the event; a crash then replays only the event, same key', async () => {
    world = await durableWorld();
    const first = await crashDuringCommit('before-ledger');
    const key = first.faulty.requestsFor('commit')[0]?.idempotencyKey as string;
    const reservationId = first.faulty.requestsFor('commit')[0]?.reservationId as string;

    // restart: the commit meets 410; the event attempt fails (unreachable) and the process dies
    let modeOnDiskAtEvent: string | undefined;
    const second = world.start({
      retry: { attempts: 1 },
      faults: { commit: ['expired'], event: ['transport'] },
      onRequest: (operation) => {
        if (operation !== 'event') return;
        modeOnDiskAtEvent = recordsOnDisk(world.journalPath)
          .filter((r) => r?.key === key)
          .map((r) => r?.t)
          .join(',');
      },
    });
    const interrupted = await world.clock.runUntilSettled(second.governor.recover());
    second.crash();

    expect(interrupted.settlements).toMatchObject([{ key, outcome: 'pending' }]);
    // event_mode_is_persisted_before_event_attempt
    expect(modeOnDiskAtEvent).toBe('pending,event_mode');
    expect(second.events.filter((e) => e.type === 'commit_fallback_event')).toMatchObject([
      { reason: 'RESERVATION_EXPIRED', actual, reservationId },
    ]);

    // restart after the mode switch: straight to the event, same key
    const third = world.start();
    expect(third.journal.entries()).toMatchObject([{ key, mode: 'event' }]);
    const report = await world.clock.runUntilSettled(third.governor.recover());

    expect(report.settlements).toMatchObject([{ key, outcome: 'event', charged: actual }]);
    // expected_requests: commit_same_key_after_restart, event_same_key_after_restart
    expect(world.settlementSteps()).toEqual([
      ['commit', key], // the first process's, never answered
      ['commit', key], // after the restart: 410
      ['event', key], // unreachable, then the crash
      ['event', key], // after the second restart
    ]);
    expect(third.faulty.requestsFor('event')[0]?.request).toMatchObject({
      idempotencyKey: key,
      subject: CALL_SUBJECT,
      action: ACTION,
      actual,
    });
    // successful_event_removes_record
    expect(third.journal.entries()).toEqual([]);
    expect(linesWith(world.journalPath, key)).toEqual([]);
    // settlement_occurs_at_most_once: charged once, by the event; the reservation expired uncommitted
    await expectError(world.ledger.getReservation(reservationId), 'RESERVATION_EXPIRED');
    await ledgerShows(ACTUAL);
  });

  it('CR-DURABLE-002 the event applied but its answer was lost before the crash: the replayed event charges nothing more', async () => {
    world = await durableWorld();
    await crashDuringCommit('before-ledger');
    const second = world.start({
      retry: { attempts: 1 },
      faults: { commit: ['expired'], event: ['lose-response'] },
    });
    await world.clock.runUntilSettled(second.governor.recover());
    second.crash();

    const third = world.start();
    const report = await world.clock.runUntilSettled(third.governor.recover());

    expect(report.settlements).toMatchObject([{ outcome: 'event', charged: actual }]);
    expect(third.faulty.requestsFor('commit')).toEqual([]);
    const [applied, replayed] = [second.faulty.requestsFor('event')[0], third.faulty.requestsFor('event')[0]];
    expect(replayed?.request).toEqual(applied?.request);
    await ledgerShows(ACTUAL);
  });

  it('CR-DURABLE-002 in the first process too: an expired commit journals event mode before its event', async () => {
    world = await durableWorld();
    let modeOnDisk: string[] = [];
    const proc = world.start({
      faults: { commit: ['expired'] },
      onRequest: (operation) => {
        if (operation === 'event') modeOnDisk = recordsOnDisk(world.journalPath).map((r) => r?.t as string);
      },
    });

    await world.clock.runUntilSettled(proc.governor.run(CALL, work));

    expect(modeOnDisk).toEqual(['pending', 'event_mode']);
    expect(proc.journal.entries()).toEqual([]);
    await ledgerShows(ACTUAL);
  });

  it('CR-DURABLE-002 a replayed commit whose reservation is gone (NOT_FOUND) becomes the same-key event', async () => {
    world = await durableWorld();
    const seed = world.start();
    const entry = {
      key: 'lost-reservation:commit',
      reservationId: 'res_unknown_to_this_ledger',
      subject: CALL_SUBJECT,
      action: ACTION,
      actual,
      metadata: { actual_source: 'reported' },
    };
    await seed.journal.pending(entry);
    seed.crash();

    const proc = world.start();
    const report = await world.clock.runUntilSettled(proc.governor.recover());

    expect(report.settlements).toMatchObject([{ outcome: 'event', charged: actual }]);
    expect(world.settlementSteps()).toEqual([
      ['commit', entry.key],
      ['event', entry.key],
    ]);
    expect(proc.events.filter((e) => e.type === 'commit_fallback_event')).toMatchObject([
      { reason: 'NOT_FOUND' },
    ]);
    await ledgerShows(ACTUAL);
  });
});

describe('CR-DURABLE-003 rate-limit floor survives restart', () => {
  it('CR-DURABLE-003 a 429 with Retry-After is journalled; restarted before it passes, nothing is sent until it has', async () => {
    world = await durableWorld();
    const RETRY_AFTER = 30_000;
    const first = world.start({ faults: { commit: ['429'] }, retryAfterMs: RETRY_AFTER });
    void first.governor.run(CALL, work);
    await first.commitsArrived();
    while (!first.events.some((e) => e.type === 'retry')) await flushMicrotasks();
    const [rejected] = first.faulty.requestsFor('commit');
    const key = rejected?.idempotencyKey as string;
    const notBefore = (rejected?.at as number) + RETRY_AFTER;
    first.crash(); // process_terminated_after_journal_write, during the back-off

    expect(recordsOnDisk(world.journalPath)).toMatchObject([
      { t: 'pending', key },
      { t: 'not_before', key, notBefore },
    ]);
    world.clock.advance(RETRY_AFTER / 3); // process_restarted_before_retry_after
    const second = world.start();
    expect(second.journal.entries()).toMatchObject([{ key, notBeforeMs: notBefore }]);

    // no_retry_before_persisted_not_before: a recover that may not wait sends nothing
    const early = await second.governor.recover({ waitForRetryAfter: false });
    expect(early.settlements).toMatchObject([{ key, outcome: 'pending' }]);
    expect(second.faulty.requestsFor('commit')).toEqual([]);

    // one that waits sends the commit once the floor has passed, not before
    const report = await world.clock.runUntilSettled(second.governor.recover());
    expect(report.settlements).toMatchObject([{ key, outcome: 'committed', charged: actual }]);
    const [retried] = second.faulty.requestsFor('commit');
    expect(retried?.at).toBe(notBefore);
    // expected_requests: commit, commit_same_key_after_retry_after
    expect(world.settlementSteps()).toEqual([
      ['commit', key],
      ['commit', key],
    ]);
    expect(retried?.request).toEqual(rejected?.request);
    // successful_replay_removes_record
    expect(second.journal.entries()).toEqual([]);
    expect(linesWith(world.journalPath, key)).toEqual([]);
    await ledgerShows(ACTUAL);
  });

  it('CR-DURABLE-003 restarted after the floor has passed: the replay goes at once', async () => {
    world = await durableWorld();
    const first = world.start({ faults: { commit: ['429'] }, retryAfterMs: 5_000 });
    void first.governor.run(CALL, work);
    while (!first.events.some((e) => e.type === 'retry')) await flushMicrotasks();
    first.crash();
    world.clock.advance(10_000);
    const restartedAt = world.clock.now();

    const second = world.start();
    await world.clock.runUntilSettled(second.governor.recover());

    expect(second.faulty.requestsFor('commit').map((r) => r.at)).toEqual([restartedAt]);
    await ledgerShows(ACTUAL);
  });
});

/** An authority reached with an API key (as over HTTP): a key not in `valid` is refused with 401. */
function withCredential(apiKey: string, valid: Set<string>) {
  return (inner: Authority): Authority => {
    const guard = <T>(call: () => Promise<T>): Promise<T> =>
      valid.has(apiKey)
        ? call()
        : Promise.reject(new UnauthorizedError(`API key ${apiKey.slice(0, 6)}… is not valid`));
    return {
      reserve: (r) => guard(() => inner.reserve(r)),
      commit: (id, r) => guard(() => inner.commit(id, r)),
      release: (id, r) => guard(() => inner.release(id, r)),
      extend: (id, r) => guard(() => inner.extend(id, r)),
      decide: (r) => guard(() => inner.decide(r)),
      event: (r) => guard(() => inner.event(r)),
      balances: (q) => guard(() => inner.balances(q)),
      getReservation: (id) => guard(() => inner.getReservation(id)),
      listReservations: (q) => guard(() => inner.listReservations(q)),
    };
  };
}

/** Every byte the journal left on disk (the file, its quarantine, its lock), as text. */
const journalBytes = (dir: string) =>
  readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');

describe('CR-DURABLE-004 tenant journal survives API-key rotation', () => {
  const OLD_KEY = 'sk-governor-OLD-7f3a9c2e51';
  const NEW_KEY = 'sk-governor-NEW-0b4d8e6a17';

  it('CR-DURABLE-004 the key is rotated while a commit is in flight: the restart with the new key finds the tenant journal and commits, same key', async () => {
    world = await durableWorld();
    const valid = new Set([OLD_KEY]);
    const path = journalPathFor(world.dir, CALL_SUBJECT.tenant); // the tenant's journal, not the key's
    const first = world.start({
      journalPath: path,
      hang: 'before-ledger',
      wrapLedger: withCredential(OLD_KEY, valid),
    });
    void first.governor.run(CALL, work);
    await first.commitsArrived();
    first.crash();
    const key = first.faulty.requestsFor('commit')[0]?.idempotencyKey as string;

    valid.delete(OLD_KEY); // api_key_rotated
    valid.add(NEW_KEY);
    // old_api_key_is_not_stored: no byte of the journal, its lock or its quarantine holds a key
    expect(journalBytes(world.dir)).not.toContain(OLD_KEY);
    expect(journalBytes(world.dir)).not.toContain('sk-governor');

    // new_tenant_credential_finds_record
    const second = world.start({
      journalPath: journalPathFor(world.dir, 'acme'),
      wrapLedger: withCredential(NEW_KEY, valid),
    });
    expect(second.journal.entries()).toMatchObject([{ key, subject: { tenant: 'acme' } }]);
    const report = await world.clock.runUntilSettled(second.governor.recover());

    expect(report.settlements).toMatchObject([{ key, outcome: 'committed', charged: actual }]);
    // expected_requests: commit_same_key_after_restart
    expect(second.faulty.requestsFor('commit').map((r) => r.idempotencyKey)).toEqual([key]);
    expect(journalBytes(world.dir)).not.toContain('sk-governor');
    await ledgerShows(ACTUAL);
  });

  it('CR-DURABLE-004 a commit refused with 401 (the key rotated under it) stays journalled; the new credential settles it', async () => {
    world = await durableWorld();
    const valid = new Set([OLD_KEY]);
    const path = journalPathFor(world.dir, 'acme');
    const first = world.start({ journalPath: path, wrapLedger: withCredential(OLD_KEY, valid) });
    const handle = await first.governor.begin(CALL);
    valid.clear();
    valid.add(NEW_KEY);

    const outcome = await world.clock.runUntilSettled(handle.commit(ACTUAL));

    expect(outcome.outcome).toBe('failed');
    expect(first.events.filter((e) => e.type === 'settlement_failed')).toMatchObject([{ terminal: true }]);
    expect(first.journal.entries()).toHaveLength(1); // a refused credential is not an answer about the spend
    first.stop();

    const second = world.start({ journalPath: path, wrapLedger: withCredential(NEW_KEY, valid) });
    const report = await world.clock.runUntilSettled(second.governor.recover());

    expect(report).toMatchObject({ committed: 1, pending: 0 });
    expect(journalBytes(world.dir)).not.toContain('sk-governor');
    await ledgerShows(ACTUAL);
  });
});

describe('CR-DURABLE-005 corrupt or unsupported journal record is quarantined', () => {
  it('CR-DURABLE-005 corrupt and unsupported-version records are quarantined and reported; the valid ones still replay', async () => {
    world = await durableWorld();
    const first = await crashDuringCommit('after-ledger', 2);
    const keys = first.faulty.requestsFor('commit').map((r) => r.idempotencyKey);
    const [a, b] = readFileSync(world.journalPath, 'utf8').trimEnd().split('\n') as [string, string];
    const flipped = a.replace('"amount":700', '"amount":900'); // a bit flip: the checksum no longer matches
    const future = JSON.stringify({ v: 2, t: 'pending', key: 'from-a-newer-version', sum: '0' });
    const garbage = '\u0000\u0000\u0000 not json at all';
    writeFileSync(world.journalPath, [a, garbage, flipped, future, b, ''].join('\n'));

    const second = world.start();

    // corruption_is_reported
    expect(second.journalEvents.filter((e) => e.type === 'journal_quarantined')).toMatchObject([
      { line: 2, reason: 'not JSON' },
      { line: 3, reason: 'checksum mismatch' },
      { line: 4, reason: 'unsupported record version 2' },
    ]);
    // corrupt_record_is_quarantined, unsupported_record_version_is_quarantined: kept byte for byte, out of the journal
    const quarantined = readFileSync(second.journal.quarantinePath, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(quarantined.map((q) => q.raw)).toEqual([garbage, flipped, future]);
    expect(readFileSync(world.journalPath, 'utf8')).not.toContain('from-a-newer-version');
    // other_valid_records_still_replay; expected_requests: none for the quarantined ones
    expect(second.journal.entries().map((e) => e.key)).toEqual(keys);
    const report = await world.clock.runUntilSettled(second.governor.recover());
    expect(report).toMatchObject({ committed: 2, failed: 0, pending: 0 });
    expect(second.faulty.requestsFor('commit', 'event').map((r) => r.idempotencyKey)).toEqual(keys);
    await ledgerShows(2 * ACTUAL);

    // quarantined once: a later start finds a clean journal
    second.stop();
    const third = world.start();
    expect(third.journalEvents).toEqual([]);
    expect(readFileSync(third.journal.quarantinePath, 'utf8').trimEnd().split('\n')).toHaveLength(3);
  });

  it('CR-DURABLE-005 a record with a valid checksum but an invalid shape is quarantined too', async () => {
    world = await durableWorld();
    const body = {
      v: 1,
      t: 'pending',
      key: 'k:commit',
      at: 1,
      entry: { actual: { unit: 'EUR', amount: -1 } },
    };
    const sum = createHash('sha256').update(canonicalJson(body)).digest('hex').slice(0, 16);
    writeFileSync(world.journalPath, `${JSON.stringify({ ...body, sum })}\n`);

    const proc = world.start();

    expect(proc.journalEvents.filter((e) => e.type === 'journal_quarantined')).toMatchObject([
      { line: 1, reason: expect.stringMatching(/^invalid record: entry/) },
    ]);
    expect(proc.journal.entries()).toEqual([]);
    expect(proc.faulty.requests).toEqual([]);
  });
});

describe('CR-DURABLE-006 concurrent replay remains exactly once', () => {
  it('CR-DURABLE-006 two independent workers replay the same record at once: one settlement, both records removed', async () => {
    world = await durableWorld();
    const first = await crashDuringCommit('before-ledger');
    const key = first.faulty.requestsFor('commit')[0]?.idempotencyKey as string;
    // a second worker holds the same record (its own copy of the journal: a restored volume, a failover)
    const copy = join(world.dir, 'worker-b.journal');
    copyFileSync(world.journalPath, copy);
    const workerA = world.start();
    const workerB = world.start({ journalPath: copy });

    const [ra, rb] = await world.clock.runUntilSettled(
      Promise.all([workerA.governor.recover(), workerB.governor.recover()]),
    );

    // expected_requests: concurrent_commit_same_key
    const commits = [...workerA.faulty.requestsFor('commit'), ...workerB.faulty.requestsFor('commit')];
    expect(commits.map((r) => r.idempotencyKey)).toEqual([key, key]);
    expect(ra.settlements).toMatchObject([{ key, outcome: 'committed', charged: actual }]);
    expect(rb.settlements).toMatchObject([{ key, outcome: 'committed', charged: actual }]);
    // settlement_occurs_at_most_once
    await ledgerShows(ACTUAL);
    // terminal_record_is_removed: from both journals, on disk too
    expect([workerA.journal.entries(), workerB.journal.entries()]).toEqual([[], []]);
    expect([...linesWith(world.journalPath, key), ...linesWith(copy, key)]).toEqual([]);
  });

  it('CR-DURABLE-006 one journal file has one writer: a second open is refused; two recover() calls share one pass', async () => {
    world = await durableWorld();
    await crashDuringCommit('before-ledger');
    const worker = world.start();

    expect(() => world.start()).toThrow(JournalLockedError);
    const [one, two] = await world.clock.runUntilSettled(
      Promise.all([worker.governor.recover(), worker.governor.recover()]),
    );

    expect(one).toBe(two);
    expect(worker.faulty.requestsFor('commit')).toHaveLength(1);
    await ledgerShows(ACTUAL);
  });
});

/**
 * A ledger whose reservation ids are arbitrary strings of its own choosing (as
 * a foreign Cycles server's may be: any 1–128 characters), mapped onto the
 * inner ledger's.
 */
function withForeignIds(ids: string[]) {
  return (inner: Authority): Authority => {
    const toInner = new Map<string, string>();
    const queue = [...ids];
    const inner$ = (id: string) => toInner.get(id) ?? id;
    return {
      reserve: async (r) => {
        const response = await inner.reserve(r);
        const foreign = queue.shift() as string;
        toInner.set(foreign, response.reservationId as string);
        return { ...response, reservationId: foreign } as ReservationCreateResponse;
      },
      commit: (id, r) => inner.commit(inner$(id), r),
      release: (id, r) => inner.release(inner$(id), r),
      extend: (id, r) => inner.extend(inner$(id), r),
      decide: (r) => inner.decide(r),
      event: (r) => inner.event(r),
      balances: (q) => inner.balances(q),
      getReservation: (id) => inner.getReservation(inner$(id)),
      listReservations: (q) => inner.listReservations(q),
    };
  };
}

describe('CR-DURABLE-007 journal filenames preserve distinct arbitrary reservation identifiers', () => {
  /** Identifiers that a lossy encoding (sanitising, case folding, Unicode normalisation, truncation) would merge. */
  const colliding = [
    'res/1',
    'res_1',
    'res:1',
    'RES/1',
    'caf\u00e9', // NFC
    'cafe\u0301', // NFD: the same text, other bytes
    'line\nbreak',
    '"quoted" \\ back',
    '\u2028separator',
    `${'x'.repeat(127)}a`,
    `${'x'.repeat(127)}b`,
    '🧾 receipt',
  ];

  it('CR-DURABLE-007 the standard filename is the SHA-256 of the exact UTF-8 identifier; distinct identifiers never share a file', () => {
    const dir = '/var/lib/governor';
    const paths = colliding.map((id) => journalPathFor(dir, id));

    // standard_filename_is_sha256_of_exact_utf8_identifier
    colliding.forEach((id, i) => {
      const digest = createHash('sha256').update(Buffer.from(id, 'utf8')).digest('hex');
      expect(paths[i]).toBe(join(dir, `${digest}.journal`));
    });
    // distinct_identifiers_never_share_a_journal_file
    expect(new Set(paths).size).toBe(colliding.length);
    // a lone surrogate has no exact UTF-8 form (two would encode alike): refused, never merged
    expect(() => journalPathFor(dir, 'a\ud800')).toThrow(/well-formed/);
    expect(() => journalPathFor(dir, '')).toThrow(TypeError);
  });

  it('CR-DURABLE-007 records of colliding reservation identifiers stay distinct through a crash and replay to their own reservation', async () => {
    world = await durableWorld();
    const first = world.start({ hang: 'before-ledger', wrapLedger: withForeignIds(colliding) });
    for (let i = 0; i < colliding.length; i++) {
      await first.governor.begin({ ...CALL, idempotencyKey: `call-${i}` }).then((h) => void h.commit(ACTUAL));
    }
    await first.commitsArrived(colliding.length);
    first.crash();

    const second = world.start({ wrapLedger: withForeignIds([]) });
    // the exact identifiers, byte for byte, one record each
    expect(second.journal.entries().map((e) => e.reservationId)).toEqual(colliding);
    expect(second.journal.entries().map((e) => e.key)).toEqual(colliding.map((_, i) => `call-${i}:commit`));
  });

  it('CR-DURABLE-007 every replay commits against its own exact identifier, each charged once', async () => {
    world = await durableWorld();
    const ids = colliding.slice(0, 6);
    const mapping = withForeignIds(ids);
    let ledgerView: Authority | undefined;
    const shared = (inner: Authority) => {
      ledgerView ??= mapping(inner); // one mapping for both processes: the foreign server's own ids
      return ledgerView;
    };
    const first = world.start({ hang: 'before-ledger', wrapLedger: shared });
    for (let i = 0; i < ids.length; i++) {
      await first.governor.begin({ ...CALL, idempotencyKey: `call-${i}` }).then((h) => void h.commit(ACTUAL));
    }
    await first.commitsArrived(ids.length);
    first.crash();

    const second = world.start({ wrapLedger: shared });
    const report = await world.clock.runUntilSettled(second.governor.recover());

    expect(report.committed).toBe(ids.length);
    expect(second.faulty.requestsFor('commit').map((r) => [r.reservationId, r.idempotencyKey])).toEqual(
      ids.map((id, i) => [id, `call-${i}:commit`]),
    );
    for (const id of ids) {
      expect(await (ledgerView as Authority).getReservation(id)).toMatchObject({ status: 'COMMITTED' });
    }
    await ledgerShows(ids.length * ACTUAL);
  });
});
