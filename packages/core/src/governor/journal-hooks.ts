/** What settlement tells the journal besides pending and resolved. */
import { GovernorError, LimitExceededError } from '../errors.js';
import type { Runtime } from './settle.js';

/**
 * `call`, recording a 429's Retry-After in the journal (`notBefore`) before
 * the error goes on to the back-off: a restart during the wait still waits.
 */
export function notingRetryAfter<T>(rt: Runtime, key: string, call: () => Promise<T>): () => Promise<T> {
  if (!rt.journal.notBefore) return call; // nowhere to note it
  return async () => {
    try {
      return await call();
    } catch (error) {
      if (LimitExceededError.isInstance(error) && error.retryAfterMs !== undefined) {
        await rt.journal.notBefore?.(key, rt.clock.now() + error.retryAfterMs);
      }
      throw error;
    }
  };
}

/**
 * A final answer that says nothing about the settlement itself — the
 * credential was refused (UNAUTHORIZED, FORBIDDEN: a rotated or revoked API
 * key) — so the journal keeps the entry for a replay with a new credential.
 */
export function keepsJournalEntry(error: unknown): boolean {
  return GovernorError.isInstance(error) && (error.code === 'UNAUTHORIZED' || error.code === 'FORBIDDEN');
}
