import { GovernorError, LimitExceededError } from '../errors.js';

export interface RetryPolicy {
  /** Attempts in all, the first included; default 5. */
  attempts: number;
  /** First back-off; doubles each attempt, with jitter; default 100 ms. */
  baseDelayMs: number;
  /** Longest back-off; default 5,000 ms. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 5_000 };

/**
 * Worth retrying with the same key: transport failures (anything that is not a
 * GovernorError), 5xx and 429. Protocol answers (4xx) are final.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof GovernorError)) return true;
  return error.status >= 500 || error.code === 'LIMIT_EXCEEDED';
}

/** The wait before retry number `attempt` (1-based): Retry-After when the authority gave one. */
export function backoffMs(
  policy: RetryPolicy,
  attempt: number,
  error: unknown,
  random = Math.random,
): number {
  if (error instanceof LimitExceededError && error.retryAfterMs !== undefined) return error.retryAfterMs;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
