import { GovernorError } from '@governor/core';

/**
 * Redis could not be reached or did not answer (connection lost, timeout,
 * script error). An INTERNAL_ERROR (500): transient, so the Governor retries
 * with the same idempotency key and fails closed (DENY) by default — never a
 * silent ALLOW.
 */
export class RedisUnavailableError extends GovernorError {
  override readonly cause: unknown;
  constructor(message: string, cause?: unknown) {
    super('INTERNAL_ERROR', `Redis ledger unavailable: ${message}`, { retryable: true });
    this.cause = cause;
  }
}
