import { isEmptyCaps, mergeCaps } from '../caps.js';
import type { Caps, Subject, Unit } from '../protocol/types.js';
import { deriveScopes } from '../scopes.js';

/** Loops remembered at most; the least recently used are forgotten first. */
const MAX_LOOPS = 10_000;

/** Whose loop a subject is: its scope without the toolset, so an agent's model and tool calls meet. */
export function loopOf(subject: Subject): string {
  const { toolset: _toolset, ...loop } = subject;
  return deriveScopes(loop).at(-1) ?? '';
}

/** A bounded map in last-used order. */
class Recent<V> {
  readonly #map = new Map<string, V>();
  get(key: string): V | undefined {
    return this.#map.get(key);
  }
  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > MAX_LOOPS) this.#map.delete(this.#map.keys().next().value as string);
  }
  delete(key: string): void {
    this.#map.delete(key);
  }
  get size(): number {
    return this.#map.size;
  }
}

/**
 * The caps in force for each loop: the caps of the latest enforced grant per
 * unit (a model call's USD grant, a tool's RISK_POINTS grant). A tool call is
 * checked against them whatever its own points, so a tool the last model
 * call's caps dropped cannot run when the model calls it anyway.
 */
export class CapsInForce {
  readonly #byLoop = new Recent<Map<Unit, Caps | undefined>>();

  note(subject: Subject, unit: Unit, caps: Caps | undefined): void {
    if (isEmptyCaps(caps) && this.#byLoop.size === 0) return; // no caps, none to replace: no loop to name
    const loop = loopOf(subject);
    const units = this.#byLoop.get(loop) ?? new Map<Unit, Caps | undefined>();
    if (isEmptyCaps(caps) && !units.size) return;
    units.set(unit, caps);
    this.#byLoop.set(loop, units);
  }

  of(subject: Subject): Caps | undefined {
    if (this.#byLoop.size === 0) return undefined; // no loop has caps: no loop to name
    let caps: Caps | undefined;
    for (const unitCaps of this.#byLoop.get(loopOf(subject))?.values() ?? [])
      caps = mergeCaps(caps, unitCaps);
    return caps;
  }
}

export interface CircuitBreakerOptions {
  /** Consecutive denied tool calls in one run that open the circuit; default 3. */
  maxConsecutiveDenials?: number;
}

export const DEFAULT_MAX_CONSECUTIVE_DENIALS = 3;

/**
 * The circuit breaker for models that ignore denials: per loop, consecutive
 * denied tool calls are counted; a call that runs resets the count. Once the
 * count reaches the limit the circuit is open for that loop: adapters end the
 * loop gracefully instead of paying for more model calls that only ask for
 * the denied tool again.
 */
export class CircuitBreaker {
  readonly limit: number;
  readonly #denials = new Recent<number>();

  constructor(options: CircuitBreakerOptions = {}) {
    const limit = options.maxConsecutiveDenials ?? DEFAULT_MAX_CONSECUTIVE_DENIALS;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`circuitBreaker.maxConsecutiveDenials must be an integer ≥ 1, got ${limit}`);
    }
    this.limit = limit;
  }

  /** Count a tool call's outcome; returns the loop's consecutive denials after it. */
  record(subject: Subject, denied: boolean): number {
    const loop = loopOf(subject);
    if (!denied) {
      this.#denials.delete(loop);
      return 0;
    }
    const count = (this.#denials.get(loop) ?? 0) + 1;
    this.#denials.set(loop, count);
    return count;
  }

  /** The loop's consecutive denials when its circuit is open, else undefined. */
  openFor(subject: Subject): number | undefined {
    if (this.#denials.size === 0) return undefined; // no loop has denials: no loop to name
    const count = this.#denials.get(loopOf(subject)) ?? 0;
    return count >= this.limit ? count : undefined;
  }

  /** Close the loop's circuit (a new attempt, or an operator's decision). */
  reset(subject: Subject): void {
    if (this.#denials.size === 0) return; // no loop has denials: none to close
    this.#denials.delete(loopOf(subject));
  }
}

/** Why the pace of a loop's tool calls denies one, and when to try again. */
export interface PaceDenial {
  reasonCode: 'COOLDOWN' | 'MAX_STEPS_REACHED';
  retryAfterMs?: number;
  detail: string;
}

/**
 * The caps that pace a loop's tool calls, kept client-side per loop:
 * `cooldown_ms` (at least that long between two calls) and
 * `max_steps_remaining` (from when a grant first says so, at most that many
 * more calls; forgotten once the caps in force stop saying it).
 */
export class ToolPace {
  readonly #last = new Recent<number>();
  readonly #steps = new Recent<number>();

  /** Whether a call now may start under `caps`; if so, it is counted. */
  admit(subject: Subject, caps: Caps | undefined, now: number): PaceDenial | undefined {
    const loop = loopOf(subject);
    const cooldown = caps?.cooldownMs ?? 0;
    const last = this.#last.get(loop);
    if (cooldown > 0 && last !== undefined && now - last < cooldown) {
      const retryAfterMs = cooldown - (now - last);
      return {
        reasonCode: 'COOLDOWN',
        retryAfterMs,
        detail: `the caps ask for ${cooldown} ms between tool calls`,
      };
    }
    const max = caps?.maxStepsRemaining;
    if (max === undefined) this.#steps.delete(loop);
    else {
      const left = this.#steps.get(loop) ?? max;
      if (left <= 0)
        return { reasonCode: 'MAX_STEPS_REACHED', detail: 'the caps allow no more steps in this run' };
      this.#steps.set(loop, left - 1);
    }
    this.#last.set(loop, now);
    return undefined;
  }
}
