/**
 * The world of a durable-recovery scenario: one ledger (a real MemoryAuthority
 * on a ManualClock: the authority outlives the client), a journal directory on
 * disk, and client "processes" started and crashed in turn. A process is a
 * FileJournal, a FaultyAuthority and a Governor; crashing it closes its journal
 * (which writes nothing: every record is already fsync'd) and kills its timers
 * and requests, so nothing of it runs again — what survives is the file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Authority,
  type CommitResponse,
  createGovernor,
  decodeJournalRecord,
  FileJournal,
  type FileJournalOptions,
  type Governor,
  type GovernorEvent,
  type GovernorOptions,
  type JournalEvent,
  ManualClock,
  MemoryAuthority,
  type Scheduler,
  USD,
} from '@governor/core';
import { DEFAULT_SUBJECT, GRACE_MS, SCOPES, UNIT } from './env.js';
import { FaultyAuthority, type FaultyAuthorityOptions, type RecordedRequest } from './faulty-authority.js';

/** A process's timers on the shared clock, silenced once the process is dead. */
class ProcessClock implements Scheduler {
  dead = false;
  constructor(readonly clock: ManualClock) {}
  now(): number {
    return this.clock.now();
  }
  setTimeout(callback: () => void, ms: number): unknown {
    return this.clock.setTimeout(() => {
      if (!this.dead) callback();
    }, ms);
  }
  clearTimeout(handle: unknown): void {
    this.clock.clearTimeout(handle);
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }
}

const never = <T>() => new Promise<T>(() => {});

export type Hang =
  /** The commit never leaves the process (it hangs before the ledger sees it). */
  | 'before-ledger'
  /** The ledger applies the commit; its answer never arrives. */
  | 'after-ledger';

export interface ProcessOptions extends Omit<FaultyAuthorityOptions, 'clock'> {
  /** The journal file; default the world's. */
  journalPath?: string;
  journal?: Omit<FileJournalOptions, 'path' | 'clock' | 'on'>;
  retry?: GovernorOptions['retry'];
  /** Hang every commit: the process is then crashed while it is in flight. */
  hang?: Hang;
  /** Called as each request reaches the authority, before it is forwarded. */
  onRequest?: (operation: 'commit' | 'event', idempotencyKey: string) => void;
  /** The authority between the FaultyAuthority and the ledger (credentials, foreign ids). */
  wrapLedger?: (ledger: Authority) => Authority;
}

export interface ClientProcess {
  governor: Governor;
  journal: FileJournal;
  faulty: FaultyAuthority;
  events: GovernorEvent[];
  journalEvents: JournalEvent[];
  /** Resolves once `n` commits have reached the authority from this process. */
  commitsArrived(n?: number): Promise<void>;
  /** kill -9: nothing of this process runs again; its journal file stays as it is on disk. */
  crash(): void;
  /** A clean stop. */
  stop(): void;
}

export async function durableWorld() {
  const dir = mkdtempSync(join(tmpdir(), 'governor-journal-'));
  const clock = new ManualClock();
  const ledger = new MemoryAuthority({ clock });
  for (const scope of SCOPES) await ledger.createBudget({ scope, unit: UNIT, allocated: USD });
  const journalPath = join(dir, 'settlements.journal');
  const processes: ClientProcess[] = [];

  function start(options: ProcessOptions = {}): ClientProcess {
    const {
      journalPath: path = journalPath,
      journal: journalOptions,
      retry,
      hang,
      onRequest,
      wrapLedger,
    } = options;
    const { faults, retryAfterMs, malformed } = options;
    const processClock = new ProcessClock(clock);
    const faulty = new FaultyAuthority(wrapLedger ? wrapLedger(ledger) : ledger, {
      clock,
      ...(faults ? { faults } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(malformed ? { malformed } : {}),
    });
    let dead = false;
    let commitsArrived = 0;
    const arrivals: (() => void)[] = [];
    const alive = <T>(call: () => Promise<T>): Promise<T> => (dead ? never() : call());
    const authority: Authority = {
      reserve: (r) => alive(() => faulty.reserve(r)),
      release: (id, r) => alive(() => faulty.release(id, r)),
      extend: (id, r) => alive(() => faulty.extend(id, r)),
      decide: (r) => alive(() => faulty.decide(r)),
      balances: (q) => faulty.balances(q),
      getReservation: (id) => faulty.getReservation(id),
      listReservations: (q) => faulty.listReservations(q),
      commit: (id, request) =>
        alive(async () => {
          onRequest?.('commit', request.idempotencyKey);
          commitsArrived += 1;
          for (const wake of arrivals.splice(0)) wake();
          if (hang === 'before-ledger') {
            // recorded as received, never forwarded, never answered
            faulty.script('commit', 'transport');
            return faulty.commit(id, request).then(
              () => never<CommitResponse>(),
              () => never<CommitResponse>(),
            );
          }
          const response = await faulty.commit(id, request);
          return hang === 'after-ledger' || dead ? never() : response;
        }),
      event: (request) =>
        alive(async () => {
          onRequest?.('event', request.idempotencyKey);
          const response = await faulty.event(request);
          return dead ? never() : response;
        }),
    };
    const journalEvents: JournalEvent[] = [];
    const journal = new FileJournal({ path, clock, on: (e) => journalEvents.push(e), ...journalOptions });
    const events: GovernorEvent[] = [];
    const governor = createGovernor({
      authority,
      subject: DEFAULT_SUBJECT,
      clock: processClock,
      gracePeriodMs: GRACE_MS,
      heartbeat: false,
      timeouts: {
        reserve: Infinity,
        decide: Infinity,
        commit: Infinity,
        release: Infinity,
        extend: Infinity,
        event: Infinity,
      },
      settleWaitMs: Infinity,
      on: (event) => events.push(event),
      journal,
      ...(retry ? { retry } : {}),
    });
    const proc: ClientProcess = {
      governor,
      journal,
      faulty,
      events,
      journalEvents,
      commitsArrived(n = 1): Promise<void> {
        if (commitsArrived >= n) return Promise.resolve();
        return new Promise<void>((resolve) => {
          const check = () => (commitsArrived >= n ? resolve() : arrivals.push(check));
          arrivals.push(check);
        });
      },
      crash(): void {
        dead = true;
        processClock.dead = true;
        journal.close();
      },
      stop(): void {
        journal.close();
      },
    };
    processes.push(proc);
    return proc;
  }

  return {
    dir,
    clock,
    ledger,
    journalPath,
    start,
    /** Every request any process sent, process by process, in order. */
    requests(): RecordedRequest[] {
      return processes.flatMap((p) => p.faulty.requests);
    },
    /** `[operation, key]` of every settlement request (reserves left out), across processes. */
    settlementSteps(): [string, string][] {
      return processes.flatMap((p) =>
        p.faulty.requests
          .filter((r) => r.operation !== 'reserve')
          .map((r) => [r.operation, r.idempotencyKey] as [string, string]),
      );
    },
    cleanup(): void {
      for (const p of processes) p.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type DurableWorld = Awaited<ReturnType<typeof durableWorld>>;

/** The records of a journal file as they are on disk right now (corrupt lines as `undefined`). */
export function recordsOnDisk(path: string) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const decoded = decodeJournalRecord(line);
      return decoded.ok ? decoded.record : undefined;
    });
}
