/**
 * The loop breaker's settings: the `threshold`-th call of the same tool with
 * the same arguments (a stable hash of them) within `windowMs` in one run is
 * denied with LOOP_DETECTED — by the ledger, atomically with the reserve, so
 * it holds across processes. On by default for tools with risk points.
 */
export interface LoopBreakerPolicy {
  /** The identical call that makes a loop (≥ 2): default 5, so four run and the fifth is denied. */
  threshold: number;
  /** How far back identical calls count, ms; default 600,000 (10 minutes). */
  windowMs: number;
}

export const DEFAULT_LOOP_BREAKER: LoopBreakerPolicy = { threshold: 5, windowMs: 600_000 };
