/**
 * `@governor/sqlite`: SqliteAuthority, the durable embedded Governor ledger
 * (better-sqlite3, WAL). Same Authority and LedgerAdmin as MemoryAuthority,
 * kept in one file that survives restarts and kill -9.
 */
export type { DriverName } from './driver.js';
export { SqliteUnavailableError } from './errors.js';
export type { Synchronous } from './schema.js';
export { SqliteAuthority, type SqliteAuthorityOptions } from './sqlite-authority.js';
