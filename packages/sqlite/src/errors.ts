import { GovernorError } from '@governor/core';

/**
 * SQLite could not do what was asked (the file is locked by another process
 * past the busy timeout, the disk is full, an I/O error, the ledger was
 * closed). An INTERNAL_ERROR (500): the Governor retries with the same
 * idempotency key and fails closed (DENY) by default, never a silent ALLOW.
 * Nothing of the failed call was written.
 */
export class SqliteUnavailableError extends GovernorError {
  override readonly cause: unknown;
  constructor(message: string, cause?: unknown) {
    const sqliteCode = (cause as { code?: unknown } | undefined)?.code;
    super('INTERNAL_ERROR', `SQLite ledger unavailable: ${message}`, {
      retryable: true,
      ...(typeof sqliteCode === 'string' ? { sqlite_code: sqliteCode } : {}),
    });
    this.cause = cause;
  }
}

/** Errors raised by SQLite itself (better-sqlite3's SqliteError, node:sqlite's ERR_SQLITE_ERROR). */
export function isSqliteError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  return (typeof code === 'string' && /^(SQLITE_|ERR_SQLITE_)/.test(code)) || name === 'SqliteError';
}

/** GovernorErrors and bugs pass through unchanged; SQLite's own failures become SqliteUnavailableError. */
export function asLedgerError(error: unknown): unknown {
  if (error instanceof GovernorError || !isSqliteError(error)) return error;
  return new SqliteUnavailableError((error as Error).message, error);
}
