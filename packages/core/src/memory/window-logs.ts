/**
 * The embedded ledger's sliding-window logs (rate limits, loop breaker): per
 * key, the allowed reservations oldest first, pruned on every read; logs that
 * have aged out entirely are dropped every so often.
 */
import type { WindowEntry, WindowLogs } from '../ledger/rate-limits.js';

interface Log {
  entries: WindowEntry[];
  /** When its newest entry leaves its longest window. */
  until: number;
}

export class MemoryWindowLogs implements WindowLogs {
  readonly #logs = new Map<string, Log>();
  #adds = 0;

  entries(key: string, since: number): readonly WindowEntry[] {
    const log = this.#logs.get(key);
    if (!log) return [];
    let drop = 0;
    while (drop < log.entries.length && (log.entries[drop] as WindowEntry).at <= since) drop++;
    // Entries older than `since` may still count for a longer window of the same key: keep them.
    return drop === 0 ? log.entries : log.entries.slice(drop);
  }

  add(key: string, entry: WindowEntry, keepMs: number): void {
    const log = this.#logs.get(key) ?? { entries: [], until: 0 };
    const until = entry.at + keepMs;
    let drop = 0;
    while (drop < log.entries.length && (log.entries[drop] as WindowEntry).at + keepMs <= entry.at) drop++;
    if (drop > 0) log.entries.splice(0, drop);
    log.entries.push(entry);
    log.until = Math.max(log.until, until);
    this.#logs.set(key, log);
    if (++this.#adds % 1024 === 0) this.#dropAged(entry.at);
  }

  #dropAged(now: number): void {
    for (const [key, log] of this.#logs) if (log.until <= now) this.#logs.delete(key);
  }
}
