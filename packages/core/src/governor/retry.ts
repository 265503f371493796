import { GovernorError, LimitExceededError, TransportError } from '../errors.js';

export interface RetryPolicy {
  /** Attempts in all, the first included; default 5. */
  attempts: number;
  /** First back-off; doubles each attempt, with jitter; default 100 ms. */
  baseDelayMs: number;
  /** Longest back-off; default 5,000 ms. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 5_000 };

/** Socket-level error codes (Node's and undici's) that mean "the authority could not be reached". */
const TRANSPORT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/**
 * The authority is unreachable or did not answer: a TransportError (timeouts
 * and the ledgers' connection errors), a 5xx answer, or a socket error
 * (ECONNREFUSED, ECONNRESET, undici's UND_ERR_*…, looked for along `cause`).
 * Nothing else: a TypeError, a RangeError, a 4xx answer are bugs or answers,
 * never an outage — they propagate, whatever the fail mode.
 */
export function isTransportFailure(error: unknown): boolean {
  if (TransportError.isInstance(error)) return true;
  if (GovernorError.isInstance(error)) return error.status >= 500 && error.details?.retryable !== false;
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSPORT_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** A 2xx body that is not the protocol's success shape (see AmbiguousResponseError): retried with the same key. */
const AMBIGUOUS = Symbol.for('governor.ambiguous-response');

export function markAmbiguous<E extends Error>(error: E): E {
  Object.defineProperty(error, AMBIGUOUS, { value: true });
  return error;
}

/**
 * Worth retrying with the same key: transport failures, 429 (LIMIT_EXCEEDED)
 * and ambiguous 2xx answers. Everything else is final.
 */
export function isRetryable(error: unknown): boolean {
  if (isTransportFailure(error)) return true;
  if (GovernorError.isInstance(error)) return error.code === 'LIMIT_EXCEEDED';
  return error !== null && typeof error === 'object' && AMBIGUOUS in error;
}

/** @deprecated the old name of `isRetryable`. */
export const isTransient = isRetryable;

/** The wait before retry number `attempt` (1-based): Retry-After when the authority gave one. */
export function backoffMs(
  policy: RetryPolicy,
  attempt: number,
  error: unknown,
  random = Math.random,
): number {
  if (LimitExceededError.isInstance(error) && error.retryAfterMs !== undefined) return error.retryAfterMs;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
