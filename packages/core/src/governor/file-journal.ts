/**
 * The durable settlement journal: an append-only file of JSON lines, each
 * fsync'd before the call returns, so a settlement is on disk before its first
 * request leaves the process and survives a crash between "work done" and
 * "commit acknowledged". `governor.recover()` replays what it still holds, with
 * the original keys. Bounded (live entries, file size) and compacted (the live
 * entries rewritten to a temp file, then renamed over it) once resolved
 * records dominate. One writer per file (a `.lock` beside it).
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { type Clock, systemClock } from '../clock.js';
import { acquireJournalLock } from './journal-lock.js';
import {
  decodeRecord,
  encodeRecord,
  JOURNAL_FORMAT_VERSION,
  type JournalEntry,
  type JournalRecord,
  type LiveJournalEntry,
  liveEntryOf,
  pendingRecord,
} from './journal-records.js';
import type { ReplayableJournal } from './recover.js';

export interface FileJournalOptions {
  /** The journal file; created (with its directory) when missing. */
  path: string;
  /** Most settlements pending at once; default 10,000. */
  maxEntries?: number;
  /** Largest file, bytes; default 64 MiB. */
  maxBytes?: number;
  /** Compact once this many records are resolved and they outnumber the live ones; default 1,000. */
  compactAfter?: number;
  /** Time of the records; default the system clock. */
  clock?: Clock;
  /** Torn tails, quarantined records, compactions, a full journal, failed writes. Must not throw. */
  on?: (event: JournalEvent) => void;
}

export type JournalEvent =
  /** The last line was cut short by a crash mid-write: dropped (its settlement never left the process). */
  | { type: 'journal_torn_tail'; path: string; bytes: number }
  /** A corrupt or unsupported line was moved to the quarantine file; the other records still replay. */
  | { type: 'journal_quarantined'; path: string; quarantinePath: string; line: number; reason: string }
  | { type: 'journal_compacted'; path: string; records: number; live: number; bytes: number }
  /** No room (maxEntries or maxBytes): the settlement goes ahead, not journalled. */
  | { type: 'journal_full'; path: string; key: string; error: JournalFullError }
  /** A write failed (disk full, I/O error, closed journal): the settlement goes ahead regardless. */
  | { type: 'journal_write_failed'; path: string; key: string; error: unknown };

/** The journal has no room for another settlement: `maxEntries` live, or `maxBytes` on disk. */
export class JournalFullError extends Error {
  override readonly name = 'JournalFullError';
  readonly path: string;
  readonly limit: 'maxEntries' | 'maxBytes';
  constructor(path: string, limit: 'maxEntries' | 'maxBytes', value: number) {
    super(
      `journal ${path} is full (${limit} ${value}): the settlement goes ahead without a durable record — ` +
        'the authority has been unreachable for many settlements; recover() or raise the limit',
    );
    this.path = path;
    this.limit = limit;
  }
}

export class FileJournal implements ReplayableJournal {
  readonly path: string;
  /** Where corrupt and unsupported records go: JSON lines `{ line, reason, raw, at }`. */
  readonly quarantinePath: string;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #compactAfter: number;
  readonly #clock: Clock;
  readonly #on: ((event: JournalEvent) => void) | undefined;
  readonly #live = new Map<string, LiveJournalEntry>();
  readonly #unlock: () => void;
  #fd: number | undefined;
  #records = 0;
  #bytes = 0;

  constructor(options: FileJournalOptions | string) {
    const o = typeof options === 'string' ? { path: options } : options;
    this.path = o.path;
    this.quarantinePath = `${o.path}.quarantine`;
    this.#maxEntries = o.maxEntries ?? 10_000;
    this.#maxBytes = o.maxBytes ?? 64 * 1024 * 1024;
    this.#compactAfter = o.compactAfter ?? 1_000;
    this.#clock = o.clock ?? systemClock;
    this.#on = o.on;
    mkdirSync(dirname(this.path), { recursive: true });
    this.#unlock = acquireJournalLock(this.path);
    try {
      this.#load();
      this.#fd ??= openSync(this.path, 'a');
    } catch (error) {
      this.#unlock();
      throw error;
    }
  }

  /** Settlements journalled and not yet final, oldest first (copies). */
  entries(): LiveJournalEntry[] {
    return [...this.#live.values()].map((e) => structuredClone(e));
  }

  get size(): number {
    return this.#live.size;
  }

  /** Records in the file and its size in bytes (resolved ones included until compaction). */
  get stats(): { records: number; live: number; bytes: number } {
    return { records: this.#records, live: this.#live.size, bytes: this.#bytes };
  }

  async pending(entry: JournalEntry): Promise<void> {
    const live: LiveJournalEntry = {
      ...entryFields(entry),
      mode: 'commit',
      recordedAtMs: this.#clock.now(),
    };
    const line = encodeRecord(pendingRecord(live, live.recordedAtMs));
    if (!this.#live.has(entry.key) && this.#live.size >= this.#maxEntries) {
      return this.#full(entry.key, 'maxEntries', this.#maxEntries);
    }
    if (this.#bytes + Buffer.byteLength(line) > this.#maxBytes) {
      if (this.#records > this.#live.size) this.#tryCompact(entry.key);
      if (this.#bytes + Buffer.byteLength(line) > this.#maxBytes) {
        return this.#full(entry.key, 'maxBytes', this.#maxBytes);
      }
    }
    if (this.#append(entry.key, line)) this.#live.set(entry.key, live);
  }

  async resolved(key: string): Promise<void> {
    if (!this.#live.has(key)) return;
    this.#live.delete(key);
    this.#append(key, encodeRecord({ v: JOURNAL_FORMAT_VERSION, t: 'resolved', key, at: this.#clock.now() }));
    const dead = this.#records - this.#live.size;
    if (dead >= this.#compactAfter && dead > this.#live.size) this.#tryCompact(key);
  }

  /** The settlement of `key` goes as an event from now on; on disk before the event is sent. */
  async eventMode(key: string): Promise<void> {
    const live = this.#live.get(key);
    if (!live || live.mode === 'event') return;
    live.mode = 'event';
    this.#append(
      key,
      encodeRecord({ v: JOURNAL_FORMAT_VERSION, t: 'event_mode', key, at: this.#clock.now() }),
    );
  }

  /** No request for `key` before `atMs` (Retry-After); on disk before the wait starts. */
  async notBefore(key: string, atMs: number): Promise<void> {
    const live = this.#live.get(key);
    if (!live) return;
    live.notBeforeMs = Math.round(atMs);
    this.#append(
      key,
      encodeRecord({
        v: JOURNAL_FORMAT_VERSION,
        t: 'not_before',
        key,
        at: this.#clock.now(),
        notBefore: live.notBeforeMs,
      }),
    );
  }

  /** Rewrite the file with the live entries only (temp file, fsync, rename, fsync of the directory). */
  compact(): void {
    const fd = this.#openFd();
    const content = [...this.#live.values()]
      .map((e) => encodeRecord(pendingRecord(e, e.recordedAtMs, e)))
      .join('');
    const tmp = `${this.path}.tmp`;
    const out = openSync(tmp, 'w');
    try {
      writeAll(out, content);
      fsyncSync(out);
    } finally {
      closeSync(out);
    }
    renameSync(tmp, this.path);
    fsyncDir(dirname(this.path));
    closeSync(fd);
    this.#fd = openSync(this.path, 'a');
    this.#records = this.#live.size;
    this.#bytes = Buffer.byteLength(content);
    this.#emit({ type: 'journal_compacted', path: this.path, ...this.stats });
  }

  /** Close the file and release the lock. Writes nothing: every record is on disk already. */
  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
    this.#unlock();
  }

  #openFd(): number {
    if (this.#fd === undefined) throw new Error(`journal ${this.path} is closed`);
    return this.#fd;
  }

  /** Append and fsync one line; a failure is reported, never thrown (the settlement goes ahead). */
  #append(key: string, line: string): boolean {
    try {
      const fd = this.#openFd();
      writeAll(fd, line);
      fsyncSync(fd);
      this.#records += 1;
      this.#bytes += Buffer.byteLength(line);
      return true;
    } catch (error) {
      this.#emit({ type: 'journal_write_failed', path: this.path, key, error });
      return false;
    }
  }

  #tryCompact(key: string): void {
    try {
      this.compact();
    } catch (error) {
      this.#emit({ type: 'journal_write_failed', path: this.path, key, error });
    }
  }

  #full(key: string, limit: 'maxEntries' | 'maxBytes', value: number): void {
    this.#emit({
      type: 'journal_full',
      path: this.path,
      key,
      error: new JournalFullError(this.path, limit, value),
    });
  }

  #emit(event: JournalEvent): void {
    try {
      this.#on?.(event);
    } catch {
      // A listener's failure never changes what the journal does.
    }
  }

  /** Read the file: drop a torn tail, quarantine corrupt lines, rebuild the live entries. */
  #load(): void {
    if (!existsSync(this.path)) return;
    const bytes = readFileSync(this.path);
    const end = bytes.lastIndexOf(0x0a) + 1;
    if (end < bytes.length) {
      const fd = openSync(this.path, 'r+');
      try {
        ftruncateSync(fd, end);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.#emit({ type: 'journal_torn_tail', path: this.path, bytes: bytes.length - end });
    }
    const text = bytes.subarray(0, end).toString('utf8');
    const corrupt: { line: number; reason: string; raw: string }[] = [];
    const lines = text.split('\n');
    lines.pop(); // after the last newline
    lines.forEach((raw, index) => {
      if (raw.trim() === '') return;
      const decoded = decodeRecord(raw);
      if (decoded.ok) this.#apply(decoded.record);
      else corrupt.push({ line: index + 1, reason: decoded.reason, raw });
    });
    this.#records = lines.length;
    this.#bytes = end;
    if (corrupt.length === 0) return;
    const at = this.#clock.now();
    appendFileSync(this.quarantinePath, corrupt.map((c) => `${JSON.stringify({ ...c, at })}\n`).join(''));
    const q = openSync(this.quarantinePath, 'r+');
    try {
      fsyncSync(q);
    } finally {
      closeSync(q);
    }
    for (const c of corrupt) {
      this.#emit({
        type: 'journal_quarantined',
        path: this.path,
        quarantinePath: this.quarantinePath,
        line: c.line,
        reason: c.reason,
      });
    }
    // The corrupt lines are kept in quarantine; the journal itself is rewritten without them.
    this.#fd = openSync(this.path, 'a');
    this.compact();
  }

  #apply(record: JournalRecord): void {
    switch (record.t) {
      case 'pending':
        this.#live.set(record.key, liveEntryOf(record));
        return;
      case 'resolved':
        this.#live.delete(record.key);
        return;
      case 'event_mode': {
        const live = this.#live.get(record.key);
        if (live) live.mode = 'event';
        return;
      }
      case 'not_before': {
        const live = this.#live.get(record.key);
        if (live) live.notBeforeMs = record.notBefore;
        return;
      }
    }
  }
}

/** The entry's own fields: the Governor hands over its grant, which carries more. */
function entryFields(entry: JournalEntry): JournalEntry {
  const { key, reservationId, subject, action, actual, metrics, metadata, overagePolicy } = entry;
  return structuredClone({
    key,
    ...(reservationId !== undefined ? { reservationId } : {}),
    subject,
    action,
    actual,
    ...(metrics ? { metrics } : {}),
    ...(metadata ? { metadata } : {}),
    ...(overagePolicy ? { overagePolicy } : {}),
  });
}

function writeAll(fd: number, text: string): void {
  const buffer = Buffer.from(text, 'utf8');
  for (let offset = 0; offset < buffer.length; ) {
    offset += writeSync(fd, buffer, offset, buffer.length - offset);
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not every platform can fsync a directory (Windows); the rename itself is atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
