/** A source of time in epoch milliseconds. Ledgers own their clock; callers never supply time. */
export interface Clock {
  now(): number;
}

/** A clock with timers: what the Governor needs for heartbeats and retry back-off. */
export interface Scheduler extends Clock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Resolve after `ms` of this scheduler's time. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Scheduler = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Sleep `ms` of `clock` time, or less: ends at once, its timer cleared, when `signal` aborts. */
export function sleepUnlessAborted(clock: Scheduler, ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return clock.sleep(ms);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const wake = () => {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      resolve();
    };
    const timer = clock.setTimeout(wake, ms);
    signal.addEventListener('abort', wake, { once: true });
  });
}

interface Timer {
  at: number;
  seq: number;
  callback: () => void;
}

/**
 * A clock that only moves when told to, with timers that fire as it moves:
 * for tests and simulations. Nothing waits on real time.
 */
export class ManualClock implements Scheduler {
  #now: number;
  #timers = new Map<number, Timer>();
  #seq = 0;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Move forward by `ms` (never backward), firing every timer that falls due, in order. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`advance(ms): ms must be a finite number ≥ 0, got ${ms}`);
    const target = this.#now + ms;
    for (let next = this.#nextTimer(target); next; next = this.#nextTimer(target)) {
      this.#timers.delete(next.seq);
      this.#now = Math.max(this.#now, next.at);
      next.callback();
    }
    this.#now = target;
  }

  setTimeout(callback: () => void, ms: number): number {
    const seq = ++this.#seq;
    this.#timers.set(seq, { at: this.#now + Math.max(0, ms), seq, callback });
    return seq;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /**
   * Await `promise`, moving the clock to the next timer whenever everything
   * else has settled: lets code that sleeps (back-off, heartbeats) run to the
   * end under a manual clock.
   */
  async runUntilSettled<T>(promise: Promise<T>, maxAdvances = 10_000): Promise<T> {
    let done = false;
    const tracked = promise.finally(() => {
      done = true;
    });
    tracked.catch(() => {});
    for (let i = 0; i < maxAdvances; i++) {
      await flushMicrotasks();
      if (done) return tracked;
      const next = this.#nextTimer(Number.POSITIVE_INFINITY);
      if (!next) return tracked;
      this.advance(next.at - this.#now);
    }
    throw new Error(`runUntilSettled: still pending after ${maxAdvances} clock moves`);
  }

  #nextTimer(until: number): Timer | undefined {
    let next: Timer | undefined;
    for (const t of this.#timers.values()) {
      if (t.at <= until && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
    }
    return next;
  }
}

/** Let every queued promise continuation run (a macrotask turn, not a sleep). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
