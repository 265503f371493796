/**
 * The ledger's tables, and the settings every connection runs with: WAL (one
 * writer, readers never blocked), and `synchronous = FULL` by default, so a
 * transaction is on disk (fsync of the WAL) before the call that made it
 * returns: an acknowledged commit survives `kill -9` and a power cut. With
 * `NORMAL` it still survives `kill -9` (the WAL is written before the call
 * returns; only the fsync is deferred), not an OS crash or power cut.
 */
import type { SqlDatabase } from './driver.js';

export type Synchronous = 'FULL' | 'NORMAL';

export const SCHEMA_VERSION = 1;

const TABLES = `
CREATE TABLE IF NOT EXISTS budgets (
  scope TEXT NOT NULL,
  unit TEXT NOT NULL,
  tenant TEXT NOT NULL,
  status TEXT NOT NULL,
  allocated INTEGER NOT NULL,
  spent INTEGER NOT NULL,
  reserved INTEGER NOT NULL,
  debt INTEGER NOT NULL,
  overdraft_limit INTEGER NOT NULL,
  is_over_limit INTEGER NOT NULL,
  caps TEXT,
  isolated INTEGER NOT NULL,
  UNIQUE (scope, unit)
);
CREATE INDEX IF NOT EXISTS budgets_by_tenant ON budgets (tenant);

CREATE TABLE IF NOT EXISTS reservations (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  status TEXT NOT NULL,
  detail TEXT NOT NULL,
  grace_ms INTEGER NOT NULL,
  overage_policy TEXT NOT NULL,
  extensions INTEGER NOT NULL,
  deadline INTEGER NOT NULL,
  finalized_seq INTEGER,
  finalized_at INTEGER
);
CREATE INDEX IF NOT EXISTS reservations_due ON reservations (deadline) WHERE status = 'ACTIVE';
CREATE INDEX IF NOT EXISTS reservations_finalized ON reservations (finalized_seq);
CREATE INDEX IF NOT EXISTS reservations_by_finalized_time ON reservations (finalized_at);
CREATE INDEX IF NOT EXISTS reservations_by_tenant ON reservations (tenant);
CREATE INDEX IF NOT EXISTS reservations_live_by_tenant ON reservations (tenant) WHERE status = 'ACTIVE';

-- Reservations pruned while their settlement answers are kept: the tenant to find those answers by.
CREATE TABLE IF NOT EXISTS settled_reservations (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS settled_reservations_by_time ON settled_reservations (at);

CREATE TABLE IF NOT EXISTS idempotency (
  seq INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  op TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  response TEXT NOT NULL,
  stored_at INTEGER NOT NULL,
  UNIQUE (tenant, op, key)
);
CREATE INDEX IF NOT EXISTS idempotency_by_time ON idempotency (stored_at);

CREATE TABLE IF NOT EXISTS templates (seq INTEGER PRIMARY KEY, template TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/** Connection settings, then the tables (created once; a newer file is refused). */
export function prepareSchema(db: SqlDatabase, options: { synchronous: Synchronous; busyTimeoutMs: number }) {
  db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
  const mode = db.prepare('PRAGMA journal_mode = WAL').get()?.journal_mode;
  if (mode !== 'wal' && mode !== 'memory') throw new Error(`SQLite refused WAL mode (journal_mode ${mode})`);
  db.exec(`PRAGMA synchronous = ${options.synchronous}`);
  db.transaction(() => {
    const version = Number(db.prepare('PRAGMA user_version').get()?.user_version ?? 0);
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `ledger file has schema version ${version}; this @governor/sqlite knows ${SCHEMA_VERSION}`,
      );
    }
    db.exec(TABLES);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  });
}
