/**
 * Keeps a reservation alive while its work runs. Each beat fires at a
 * fraction of the lead the last successful answer reported and extends by the
 * time since that answer, so the lead stays where it was instead of drifting
 * outward. A failed beat is reported with whether it will be retried; it never
 * cancels the work, and the final settlement happens regardless.
 */
import { GovernorError } from '../errors.js';
import { withDeadline } from './deadline.js';
import { derivedKey } from './keys.js';
import { backoffMs, isRetryable } from './retry.js';
import type { Attempt, Runtime } from './settle.js';

export interface HeartbeatOptions {
  /** Beat at this fraction of the remaining lead; default 0.5. */
  fraction?: number;
  /** Same-key retries of one failed beat; default 2. */
  retries?: number;
  /**
   * Beats in all; default 100 (about 50 minutes at the default 60 s TTL).
   * After the last one the reservation runs out on its TTL: nothing is kept
   * alive forever.
   */
  maxExtensions?: number;
}

export const DEFAULT_MAX_EXTENSIONS = 100;

const FINAL = new Set([
  'RESERVATION_EXPIRED',
  'RESERVATION_FINALIZED',
  'MAX_EXTENSIONS_EXCEEDED',
  'NOT_FOUND',
  'TENANT_CLOSED',
]);

export class Heartbeat {
  readonly #rt: Runtime;
  readonly #attempt: Attempt & { reservationId: string };
  readonly #fraction: number;
  readonly #retries: number;
  readonly #maxExtensions: number;
  #timer: unknown;
  #stopped = false;
  #beat = 0;
  #leadAt: number;
  /** When the lead last reported runs out, by this clock. */
  #leadUntil: number;
  #inFlight: Promise<void> | undefined;

  constructor(
    rt: Runtime,
    attempt: Attempt & { reservationId: string },
    remainingTtlMs: number,
    options: HeartbeatOptions = {},
  ) {
    this.#rt = rt;
    this.#attempt = attempt;
    this.#fraction = options.fraction ?? 0.5;
    this.#retries = options.retries ?? 2;
    this.#maxExtensions = options.maxExtensions ?? DEFAULT_MAX_EXTENSIONS;
    this.#leadAt = rt.clock.now();
    this.#leadUntil = this.#leadAt + remainingTtlMs;
    this.#schedule(remainingTtlMs);
  }

  /** Stop beating; an extension already in flight finishes on its own. */
  stop(): void {
    this.#stopped = true;
    this.#rt.clock.clearTimeout(this.#timer);
  }

  /** Settles when no extension is in flight (for orderly shutdown and tests). */
  idle(): Promise<void> {
    return this.#inFlight ?? Promise.resolve();
  }

  #schedule(leadMs: number): void {
    if (this.#stopped) return;
    if (this.#beat >= this.#maxExtensions) {
      this.#stopped = true;
      this.#rt.emit({ type: 'heartbeat_exhausted', ...this.#attempt, extensions: this.#beat });
      return;
    }
    const delay = Math.max(0, Math.floor(leadMs * this.#fraction));
    this.#timer = this.#rt.clock.setTimeout(() => {
      this.#inFlight = this.#extend().finally(() => {
        this.#inFlight = undefined;
      });
    }, delay);
  }

  async #extend(): Promise<void> {
    const key = derivedKey(this.#attempt.key, `extend:${++this.#beat}`);
    const extendByMs = Math.max(1, this.#rt.clock.now() - this.#leadAt);
    for (let n = 0; !this.#stopped; n++) {
      try {
        const r = await withDeadline(
          this.#rt.clock,
          'extend',
          this.#rt.timeouts.extend,
          this.#rt.authority.extend(this.#attempt.reservationId, { idempotencyKey: key, extendByMs }),
        );
        const lead = r.remainingTtlMs ?? extendByMs;
        this.#leadAt = this.#rt.clock.now();
        this.#leadUntil = this.#leadAt + lead;
        this.#rt.emit({ type: 'heartbeat', ...this.#attempt, expiresAtMs: r.expiresAtMs });
        this.#schedule(lead);
        return;
      } catch (error) {
        if (this.#stopped) return; // settled meanwhile: the answer no longer matters
        const final = GovernorError.isInstance(error) && FINAL.has(error.code);
        // Back off (Retry-After on a 429) only while a retry still fits in half the lead left.
        const delayMs = backoffMs(this.#rt.retry, n + 1, error);
        const fits = delayMs <= (this.#leadUntil - this.#rt.clock.now()) / 2;
        const willRetry = !final && isRetryable(error) && n < this.#retries && fits;
        this.#rt.emit({ type: 'heartbeat_failed', ...this.#attempt, willRetry, error });
        if (!willRetry) {
          if (!final) this.#schedule(extendByMs);
          return;
        }
        await this.#rt.clock.sleep(delayMs);
      }
    }
  }
}
