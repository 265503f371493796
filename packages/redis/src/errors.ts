import { InternalError, TransportError } from '@governor/core';

/**
 * Redis could not be reached or did not answer in time (connection refused,
 * lost or closed, a command timeout, a server that is loading, busy or has
 * no cluster quorum). A TransportError: the Governor retries with the same
 * idempotency key and, by default, fails closed (DENY) — never a silent ALLOW.
 */
export class RedisUnavailableError extends TransportError {
  static override readonly marker = 'RedisUnavailableError';
  constructor(message: string, cause?: unknown) {
    super(`Redis ledger unavailable: ${message}`, cause);
  }
}

/** Server replies that mean "not now", not "wrong": the command may succeed when retried. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS)\b/;

/** ioredis' own words for a connection that is gone or a command that timed out. */
const CONNECTION_MESSAGE =
  /Connection is closed|Command aborted due to connection close|Stream isn't writeable|Command timed out|connect ETIMEDOUT|Failed to refresh slots cache|None of startup nodes is available/i;

/**
 * An error from ioredis, classified: connection and timeout failures become
 * RedisUnavailableError (transient); a script that fails on the server is a
 * bug, an InternalError that is not retried; anything else (a TypeError in
 * our own code) is returned unchanged, so it propagates as what it is.
 */
export function classifyRedisError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const message = error.message;
  if (
    error.name === 'MaxRetriesPerRequestError' ||
    error.name === 'ClusterAllFailedError' ||
    (typeof code === 'string' && code.startsWith('E') && code === code.toUpperCase()) ||
    CONNECTION_MESSAGE.test(message) ||
    (error.name === 'ReplyError' && TRANSIENT_REPLY.test(message))
  ) {
    return new RedisUnavailableError(message, error);
  }
  if (error.name === 'ReplyError') {
    const bug = new InternalError(`Redis ledger script failed: ${message}`, { retryable: false });
    bug.cause = error;
    return bug;
  }
  return error;
}
