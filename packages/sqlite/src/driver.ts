/**
 * The little of SQLite the ledger uses, over better-sqlite3 (the driver) or,
 * where better-sqlite3's native addon was built for another Node.js and
 * cannot load, Node's built-in `node:sqlite` (Node ≥ 22.13). Both are
 * synchronous: a transaction runs to its end before any other JavaScript.
 */
import Database from 'better-sqlite3';

export type SqlValue = string | number | null;
export type Row = Record<string, SqlValue>;

export interface SqlStatement {
  run(...params: SqlValue[]): unknown;
  get(...params: SqlValue[]): Row | undefined;
  all(...params: SqlValue[]): Row[];
}

export type DriverName = 'better-sqlite3' | 'node:sqlite';

export interface SqlDatabase {
  readonly driver: DriverName;
  exec(sql: string): void;
  prepare(sql: string): SqlStatement;
  /**
   * Run `fn` in a write transaction (BEGIN IMMEDIATE: the write lock is taken
   * first, so concurrent writers queue instead of failing mid-way); a nested
   * call is a savepoint. Commits when `fn` returns, rolls back when it throws.
   */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export interface OpenOptions {
  /** Which driver; default better-sqlite3, else node:sqlite if better-sqlite3's addon cannot load. */
  driver?: DriverName | undefined;
  /** How long a write waits for another process's lock, in ms. */
  busyTimeoutMs: number;
}

export function openDatabase(path: string, options: OpenOptions): SqlDatabase {
  if (options.driver === 'node:sqlite') return openNodeSqlite(path, options);
  try {
    return openBetterSqlite3(path, options);
  } catch (error) {
    if (options.driver || !isAddonLoadFailure(error) || !nodeSqlite()) throw error;
    return openNodeSqlite(path, options);
  }
}

const isAddonLoadFailure = (error: unknown) =>
  (error as { code?: string }).code === 'ERR_DLOPEN_FAILED' ||
  /NODE_MODULE_VERSION|Could not locate the bindings file/.test(String((error as Error).message));

function openBetterSqlite3(path: string, options: OpenOptions): SqlDatabase {
  const db = new Database(path, { timeout: options.busyTimeoutMs });
  const tx = db.transaction((fn: () => unknown) => fn());
  return {
    driver: 'better-sqlite3',
    exec: (sql) => void db.exec(sql),
    prepare: (sql) => db.prepare<SqlValue[], Row>(sql),
    transaction: <T>(fn: () => T) => tx.immediate(fn) as T,
    close: () => db.close(),
  };
}

interface NodeSqliteDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqlStatement;
  close(): void;
}
type NodeSqlite = { DatabaseSync: new (path: string, options?: { timeout?: number }) => NodeSqliteDatabase };

const nodeSqlite = (): NodeSqlite | undefined =>
  process.getBuiltinModule?.('node:sqlite') as NodeSqlite | undefined;

function openNodeSqlite(path: string, options: OpenOptions): SqlDatabase {
  const sqlite = nodeSqlite();
  if (!sqlite) throw new Error(`node:sqlite is not available in Node ${process.version} (needs ≥ 22.13)`);
  const db = new sqlite.DatabaseSync(path, { timeout: options.busyTimeoutMs });
  let depth = 0;
  const transaction = <T>(fn: () => T): T => {
    const savepoint = `sp${depth}`;
    db.exec(depth === 0 ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${savepoint}`);
    depth += 1;
    try {
      const result = fn();
      db.exec(depth === 1 ? 'COMMIT' : `RELEASE ${savepoint}`);
      return result;
    } catch (error) {
      db.exec(depth === 1 ? 'ROLLBACK' : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
      throw error;
    } finally {
      depth -= 1;
    }
  };
  return {
    driver: 'node:sqlite',
    exec: (sql) => db.exec(sql),
    prepare: (sql) => db.prepare(sql),
    transaction,
    close: () => db.close(),
  };
}
