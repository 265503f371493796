/**
 * Settlements still in flight, for `governor.drain()`: a count, and who waits
 * for it to reach zero. Tracking one costs a counter and a `then`.
 */
export class InFlight {
  #count = 0;
  #waiters: (() => void)[] = [];

  readonly #settled = (): void => {
    if (--this.#count > 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  };

  /** Count `promise` until it settles, whichever way. */
  track(promise: Promise<unknown>): void {
    this.#count++;
    promise.then(this.#settled, this.#settled);
  }

  /** Resolves once nothing is in flight, including what is tracked meanwhile. */
  async drain(): Promise<void> {
    while (this.#count > 0) await new Promise<void>((wake) => this.#waiters.push(wake));
  }
}
