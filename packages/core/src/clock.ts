/** A source of time in epoch milliseconds. Ledgers own their clock; callers never supply time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: for tests and simulations. */
export class ManualClock implements Clock {
  #now: number;
  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }
  now(): number {
    return this.#now;
  }
  /** Move forward by `ms` (never backward). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`advance(ms): ms must be a finite number ≥ 0, got ${ms}`);
    this.#now += ms;
  }
}
