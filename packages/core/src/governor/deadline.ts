import type { Scheduler } from '../clock.js';
import { AuthorityTimeoutError } from '../errors.js';

/** Authority operations the Governor calls, each with its own deadline. */
export type AuthorityOperation =
  | 'reserve'
  | 'decide'
  | 'commit'
  | 'release'
  | 'extend'
  | 'event'
  | 'balances';

/** Per-attempt deadlines in ms; a retry gets a fresh one. */
export type Timeouts = Record<AuthorityOperation, number>;

export const DEFAULT_TIMEOUTS: Timeouts = {
  reserve: 5_000,
  decide: 5_000,
  commit: 5_000,
  release: 5_000,
  extend: 5_000,
  event: 5_000,
  balances: 5_000,
};

/**
 * `promise`, or AuthorityTimeoutError once `ms` of `clock` time pass first.
 * The call itself is not cancelled (the port has no signal); its late answer
 * is ignored by the caller, which retries with the same key.
 */
export function withDeadline<T>(
  clock: Scheduler,
  operation: AuthorityOperation,
  ms: number,
  promise: Promise<T>,
): Promise<T> {
  if (!(ms > 0) || ms === Number.POSITIVE_INFINITY) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new AuthorityTimeoutError(operation, ms)), ms);
    promise.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clock.clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** `promise`, or the signal's reason as soon as `signal` aborts. */
export function withAbort<T>(signal: AbortSignal | undefined, promise: Promise<T>): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
