/**
 * Replay of a journal after a restart: every settlement it still holds is
 * sent again with its original key — a commit against its reservation, or an
 * event when the reservation is expired or gone (that switch is journalled
 * first) — and marked resolved once final. The ledger's idempotency makes a
 * replay of something already applied a no-op, so spend is charged once.
 */
import type { Authority } from '../authority.js';
import { type Scheduler, systemClock } from '../clock.js';
import { GovernorError } from '../errors.js';
import type { Amount } from '../protocol/types.js';
import { checked, commitShape } from './answer-shape.js';
import { DEFAULT_TIMEOUTS, type Timeouts } from './deadline.js';
import type { GovernorEvent } from './events.js';
import { keepsJournalEntry, notingRetryAfter } from './journal-hooks.js';
import type { LiveJournalEntry } from './journal-records.js';
import { DEFAULT_RETRY, isRetryable, type RetryPolicy } from './retry.js';
import { type Attempt, commitAsEvent, type Runtime, type SettlementJournal, withRetries } from './settle.js';

/** A journal that can list what it holds: what `recover()` replays (`FileJournal`). */
export interface ReplayableJournal extends SettlementJournal {
  entries(): LiveJournalEntry[];
  /** Drop resolved records from storage (called once a recovery resolved something). */
  compact?(): void;
}

export const isReplayable = (journal: SettlementJournal): journal is ReplayableJournal =>
  typeof (journal as Partial<ReplayableJournal>).entries === 'function';

export interface RecoveredSettlement {
  key: string;
  reservationId?: string | undefined;
  /** `pending`: still not final (unreachable, or its Retry-After not passed); it stays journalled. */
  outcome: 'committed' | 'event' | 'failed' | 'pending';
  charged?: Amount | undefined;
  error?: unknown;
}

export interface RecoveryReport {
  settlements: RecoveredSettlement[];
  committed: number;
  events: number;
  failed: number;
  pending: number;
}

export interface RecoverOptions {
  /**
   * Wait for a persisted Retry-After that has not passed yet (default true);
   * false leaves those entries journalled for a later `recover()`.
   */
  waitForRetryAfter?: boolean;
}

const codeOf = (error: unknown) => (GovernorError.isInstance(error) ? error.code : undefined);

const running = new WeakMap<SettlementJournal, Promise<RecoveryReport>>();

/** Replay `rt.journal` (see the module comment); never throws for a settlement's failure. */
export function recoverJournal(rt: Runtime, options: RecoverOptions = {}): Promise<RecoveryReport> {
  const journal = rt.journal;
  if (!isReplayable(journal)) return Promise.resolve(report([]));
  // Two recoveries of one journal at once share one pass (two passes would still settle once).
  const current = running.get(journal);
  if (current) return current;
  const pass = (async () => {
    const entries = journal.entries().sort((a, b) => (a.notBeforeMs ?? 0) - (b.notBeforeMs ?? 0));
    const settlements: RecoveredSettlement[] = [];
    for (const entry of entries) settlements.push(await replay(rt, entry, options));
    if (settlements.some((s) => s.outcome !== 'pending')) {
      try {
        journal.compact?.();
      } catch {
        // Compaction is housekeeping; the records it would drop are resolved already.
      }
    }
    return report(settlements);
  })().finally(() => running.delete(journal));
  running.set(journal, pass);
  return pass;
}

export interface ReplayJournalOptions extends RecoverOptions {
  clock?: Scheduler;
  retry?: Partial<RetryPolicy>;
  timeouts?: Partial<Timeouts>;
  on?: (event: GovernorEvent) => void;
}

/** Replay `journal` against `authority` without a Governor (a recovery tool, a start-up hook). */
export function replayJournal(
  authority: Authority,
  journal: ReplayableJournal,
  options: ReplayJournalOptions = {},
): Promise<RecoveryReport> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const rt: Runtime = {
    authority,
    clock: options.clock ?? systemClock,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    timeouts,
    settleWaitMs: timeouts.commit,
    journal,
    listening: true, // a replay is not a hot path: `options.on` is asked for each event
    emit: (event) => {
      try {
        options.on?.(event);
      } catch {
        // A listener's failure never changes the outcome.
      }
    },
    track: () => {},
  };
  return recoverJournal(rt, options);
}

function report(settlements: RecoveredSettlement[]): RecoveryReport {
  const count = (o: RecoveredSettlement['outcome']) => settlements.filter((s) => s.outcome === o).length;
  return {
    settlements,
    committed: count('committed'),
    events: count('event'),
    failed: count('failed'),
    pending: count('pending'),
  };
}

async function replay(
  rt: Runtime,
  entry: LiveJournalEntry,
  options: RecoverOptions,
): Promise<RecoveredSettlement> {
  const { key, reservationId, actual } = entry;
  const attempt: Attempt = { subject: entry.subject, action: entry.action, key, reservationId };
  const base = { key, ...(reservationId !== undefined ? { reservationId } : {}) };
  const wait = (entry.notBeforeMs ?? 0) - rt.clock.now();
  if (wait > 0) {
    if (options.waitForRetryAfter === false) return { ...base, outcome: 'pending' };
    await rt.clock.sleep(wait);
  }
  let operation: 'commit' | 'event' = 'commit';
  try {
    if (entry.mode === 'commit' && reservationId !== undefined) {
      try {
        const response = await withRetries(
          rt,
          'commit',
          attempt,
          notingRetryAfter(rt, key, () =>
            checked(
              'commit',
              commitShape,
              rt.authority.commit(reservationId, {
                idempotencyKey: key,
                actual,
                ...(entry.metrics ? { metrics: entry.metrics } : {}),
                ...(entry.metadata ? { metadata: entry.metadata } : {}),
              }),
            ),
          ),
        );
        rt.emit({
          type: 'commit',
          ...attempt,
          actual,
          charged: response.charged,
          actualSource: sourceOf(entry),
        });
        await rt.journal.resolved(key);
        return { ...base, outcome: 'committed', charged: response.charged };
      } catch (error) {
        const code = codeOf(error);
        if (code !== 'RESERVATION_EXPIRED' && code !== 'NOT_FOUND') throw error;
        await rt.journal.eventMode?.(key);
        rt.emit({ type: 'commit_fallback_event', ...attempt, actual, reason: code });
      }
    }
    operation = 'event';
    const response = await commitAsEvent(rt, attempt, key, { ...entry, actual }, entry.metadata);
    await rt.journal.resolved(key);
    return { ...base, outcome: 'event', charged: response.charged ?? actual };
  } catch (error) {
    const terminal = !isRetryable(error) && !keepsJournalEntry(error);
    rt.emit({ type: 'settlement_failed', operation, terminal, error, ...attempt });
    if (terminal) await rt.journal.resolved(key);
    return { ...base, outcome: terminal ? 'failed' : 'pending', error };
  }
}

function sourceOf(entry: LiveJournalEntry): 'reported' | 'estimate' | 'partial' {
  const source = entry.metadata?.actual_source;
  return source === 'estimate' || source === 'partial' ? source : 'reported';
}
