import { deriveScopes } from '../scopes.js';
import type { Subject } from '../protocol/types.js';

/** Whose loop a subject is: its scope without the toolset (tool calls and model calls of one agent's run meet). */
function scopeOf(subject: Subject): string {
  const { toolset: _toolset, ...loop } = subject;
  return deriveScopes(loop).at(-1) ?? '';
}

export interface CircuitBreakerOptions {
  /** Consecutive denied tool calls in one run that open the circuit; default 3. */
  maxConsecutiveDenials?: number;
}

export const DEFAULT_MAX_CONSECUTIVE_DENIALS = 3;

/** Runs remembered at most; the oldest are forgotten first. */
const MAX_RUNS = 10_000;

/**
 * The circuit breaker for models that ignore denials: per run (the subject
 * without its toolset), consecutive denied tool calls are counted; a call
 * that runs resets the count. Once the count reaches the limit the circuit is
 * open for that run: adapters end the loop gracefully instead of paying for
 * more model calls that only ask for the denied tool again.
 */
export class CircuitBreaker {
  readonly #limit: number;
  readonly #denials = new Map<string, number>();

  constructor(options: CircuitBreakerOptions = {}) {
    const limit = options.maxConsecutiveDenials ?? DEFAULT_MAX_CONSECUTIVE_DENIALS;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`circuitBreaker.maxConsecutiveDenials must be an integer ≥ 1, got ${limit}`);
    }
    this.#limit = limit;
  }

  get limit(): number {
    return this.#limit;
  }

  /** Count a tool call's outcome; returns the run's consecutive denials after it. */
  record(subject: Subject, denied: boolean): number {
    const run = scopeOf(subject);
    if (!denied) {
      this.#denials.delete(run);
      return 0;
    }
    const count = (this.#denials.get(run) ?? 0) + 1;
    this.#denials.delete(run); // re-insert: the map stays in last-used order
    this.#denials.set(run, count);
    if (this.#denials.size > MAX_RUNS) this.#denials.delete(this.#denials.keys().next().value as string);
    return count;
  }

  /** The run's consecutive denials when its circuit is open, else undefined. */
  openFor(subject: Subject): number | undefined {
    const count = this.#denials.get(scopeOf(subject)) ?? 0;
    return count >= this.#limit ? count : undefined;
  }

  /** Close the run's circuit (a new attempt, or an operator's decision). */
  reset(subject: Subject): void {
    this.#denials.delete(scopeOf(subject));
  }
}
