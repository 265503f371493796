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

/**
 * 2: `settled_reservations`, and `live_reservations` kept by triggers. 3: the audit trail. 4: approvals.
 * 5: `reservations.raised`, what an approval raised the budgets of a live reservation by.
 */
export const SCHEMA_VERSION = 5;

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
  raised TEXT,
  deadline INTEGER NOT NULL,
  finalized_seq INTEGER,
  finalized_at INTEGER
);
CREATE INDEX IF NOT EXISTS reservations_due ON reservations (deadline) WHERE status = 'ACTIVE';
CREATE INDEX IF NOT EXISTS reservations_finalized ON reservations (finalized_seq);
CREATE INDEX IF NOT EXISTS reservations_by_finalized_time ON reservations (finalized_at);
CREATE INDEX IF NOT EXISTS reservations_by_tenant ON reservations (tenant);

-- ACTIVE reservations per tenant (the live cap), kept by triggers in the transaction that changes them.
CREATE TABLE IF NOT EXISTS live_reservations (tenant TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS live_on_insert AFTER INSERT ON reservations WHEN NEW.status = 'ACTIVE' BEGIN
  INSERT INTO live_reservations (tenant, n) VALUES (NEW.tenant, 1)
    ON CONFLICT (tenant) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS live_on_settle AFTER UPDATE OF status ON reservations
  WHEN OLD.status = 'ACTIVE' AND NEW.status <> 'ACTIVE' BEGIN
  UPDATE live_reservations SET n = n - 1 WHERE tenant = OLD.tenant;
  DELETE FROM live_reservations WHERE tenant = OLD.tenant AND n <= 0;
END;
CREATE TRIGGER IF NOT EXISTS live_on_delete AFTER DELETE ON reservations WHEN OLD.status = 'ACTIVE' BEGIN
  UPDATE live_reservations SET n = n - 1 WHERE tenant = OLD.tenant;
  DELETE FROM live_reservations WHERE tenant = OLD.tenant AND n <= 0;
END;

-- Reservations pruned while their settlement answers are kept: the tenant to find those answers by.
CREATE TABLE IF NOT EXISTS settled_reservations (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS settled_reservations_by_time ON settled_reservations (at);
CREATE TRIGGER IF NOT EXISTS settled_on_prune AFTER DELETE ON reservations WHEN OLD.status <> 'ACTIVE' BEGIN
  INSERT OR REPLACE INTO settled_reservations (id, tenant, at) VALUES (OLD.id, OLD.tenant, OLD.finalized_at);
END;

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

-- The audit trail: one hash-chained record per decision and change, per tenant.
CREATE TABLE IF NOT EXISTS audit (
  tenant TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (tenant, seq)
);
CREATE TABLE IF NOT EXISTS audit_heads (tenant TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);

-- Approvals: one row per approval (its record as JSON), the latest per (tenant, key) by creation.
CREATE TABLE IF NOT EXISTS approvals (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  key TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  keep_until INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS approvals_by_key ON approvals (tenant, key, created_at);
CREATE INDEX IF NOT EXISTS approvals_by_tenant ON approvals (tenant, created_at);
CREATE INDEX IF NOT EXISTS approvals_by_keep ON approvals (keep_until);
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
    if (version < 2) {
      // Files from schema 1: count the live reservations the triggers did not see.
      db.exec(`DELETE FROM live_reservations;
        INSERT INTO live_reservations (tenant, n)
          SELECT tenant, COUNT(*) FROM reservations WHERE status = 'ACTIVE' GROUP BY tenant`);
    }
    // Files before schema 5: their reservations were made with no raise to give back.
    const columns = db.prepare('PRAGMA table_info(reservations)').all();
    if (!columns.some((c) => c.name === 'raised')) db.exec('ALTER TABLE reservations ADD COLUMN raised TEXT');
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  });
}
