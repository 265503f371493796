import type { Scheduler } from '../clock.js';

/** How long a handle from `begin` may live unsettled. */
export interface HandleLimits {
  /**
   * Settle when the consumer has pulled nothing for this long (ms); armed by
   * the first `touch`/`track`, paused while a pull is in flight. Default 30,000.
   */
  idleTimeoutMs?: number;
  /** Settle at this age (ms) whatever happens; default 900,000 (15 minutes). */
  maxLifetimeMs?: number;
}

export const DEFAULT_HANDLE_LIMITS: Required<HandleLimits> = {
  idleTimeoutMs: 30_000,
  maxLifetimeMs: 15 * 60_000,
};

export type ExpiryReason = 'idle' | 'lifetime';

/**
 * The idle and lifetime clocks of one handle: one timer each, re-armed only
 * when it fires, so a stream of many chunks costs a timestamp per chunk.
 */
export class ExpiryWatch {
  readonly #clock: Scheduler;
  readonly #idleMs: number;
  readonly #onExpire: (reason: ExpiryReason) => void;
  readonly #lifetimeTimer: unknown;
  #idleTimer: unknown;
  #last = 0;
  #busy = 0;
  #stopped = false;

  constructor(clock: Scheduler, limits: Required<HandleLimits>, onExpire: (reason: ExpiryReason) => void) {
    this.#clock = clock;
    this.#idleMs = limits.idleTimeoutMs;
    this.#onExpire = onExpire;
    this.#lifetimeTimer = finite(limits.maxLifetimeMs)
      ? clock.setTimeout(() => this.#expire('lifetime'), limits.maxLifetimeMs)
      : undefined;
  }

  /** The consumer did something; arms the idle clock on first use. */
  touch(): void {
    if (this.#stopped) return;
    this.#last = this.#clock.now();
    if (this.#idleTimer === undefined && finite(this.#idleMs)) this.#arm(this.#idleMs);
  }

  /** Not idle while `promise` is pending (a pull waiting on the provider). */
  track<T>(promise: Promise<T>): Promise<T> {
    this.touch();
    this.#busy++;
    return promise.finally(() => {
      this.#busy--;
      this.touch();
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#idleTimer);
    this.#clock.clearTimeout(this.#lifetimeTimer);
  }

  #arm(ms: number): void {
    this.#idleTimer = this.#clock.setTimeout(() => this.#check(), ms);
  }

  #check(): void {
    if (this.#stopped) return;
    const idleFor = this.#clock.now() - this.#last;
    if (this.#busy > 0) this.#arm(this.#idleMs);
    else if (idleFor >= this.#idleMs) this.#expire('idle');
    else this.#arm(this.#idleMs - idleFor);
  }

  #expire(reason: ExpiryReason): void {
    if (this.#stopped) return;
    this.stop();
    this.#onExpire(reason);
  }
}

const finite = (ms: number) => Number.isFinite(ms) && ms > 0;
