/**
 * One open ledger file: the connection, its tables, and the transaction every
 * call runs in. A call's transaction first expires what is due (`settleDue`),
 * then runs the call in a savepoint: if the call throws, its changes are
 * undone, and what the embedded ledger keeps of a failed call is kept: the
 * expiry, and budgets that templates materialised (fresh, as created).
 */
import type { Clock } from '@governor/core';
import { type BudgetFinder, type BudgetState, budgetFromTemplates } from '@governor/core/ledger';
import { ApprovalRows } from './approval-rows.js';
import { AuditRows } from './audit-rows.js';
import { BudgetRows } from './budget-rows.js';
import { ConfigRows } from './config-rows.js';
import { openDatabase, type SqlDatabase } from './driver.js';
import { asLedgerError, SqliteUnavailableError } from './errors.js';
import { IdempotencyRows } from './idempotency-rows.js';
import { ReservationRows } from './reservation-rows.js';
import { prepareSchema, type Synchronous } from './schema.js';

export interface LedgerStoreOptions {
  path: string;
  clock: Clock;
  synchronous: Synchronous;
  busyTimeoutMs: number;
  idempotencyRetentionMs: number;
  maxIdempotencyRecords: number;
  driver?: 'better-sqlite3' | 'node:sqlite' | undefined;
  /** The audit trail's retention; undefined: no trail. */
  audit?: { maxRecordsPerTenant: number; maxAgeMs: number } | undefined;
}

export class LedgerStore {
  readonly db: SqlDatabase;
  readonly budgets: BudgetRows;
  readonly reservations: ReservationRows;
  readonly idempotency: IdempotencyRows;
  readonly config: ConfigRows;
  readonly audit: AuditRows | undefined;
  readonly approvals: ApprovalRows;
  readonly #clock: Clock;
  #open = true;
  /** Budgets materialised from templates in the current call, as created. */
  #materialized: BudgetState[] = [];

  constructor(options: LedgerStoreOptions) {
    try {
      this.db = openDatabase(options.path, options);
      prepareSchema(this.db, options);
    } catch (error) {
      throw new SqliteUnavailableError(`cannot open ${options.path}: ${(error as Error).message}`, error);
    }
    this.#clock = options.clock;
    this.budgets = new BudgetRows(this.db);
    this.reservations = new ReservationRows(this.db);
    this.idempotency = new IdempotencyRows(
      this.db,
      options.idempotencyRetentionMs,
      options.maxIdempotencyRecords,
    );
    this.config = new ConfigRows(this.db);
    this.approvals = new ApprovalRows(this.db);
    this.audit =
      options.audit && new AuditRows(this.db, options.audit.maxRecordsPerTenant, options.audit.maxAgeMs);
  }

  /** The stored budget at (scope, unit), else the one a template gives it (inserted when `persist`). */
  readonly find: BudgetFinder = (scope, unit, persist) => {
    const stored = this.budgets.find(scope, unit);
    if (stored) return stored;
    const budget = budgetFromTemplates(this.config.read().templates, scope, unit);
    if (budget && persist) {
      this.budgets.insert(budget);
      this.#materialized.push(structuredClone(budget));
    }
    return budget;
  };

  /**
   * Run `fn` at the ledger's time in one write transaction, after
   * `settleDue(now)`; the budgets `fn` changed are written back before the
   * commit. Resolves once the transaction is on disk.
   */
  write<T>(settleDue: (now: number) => void, fn: (now: number) => T): T {
    if (!this.#open) throw new SqliteUnavailableError('the ledger has been closed');
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    try {
      this.db.transaction(() => {
        const now = this.#clock.now();
        settleDue(now);
        this.budgets.flush();
        this.#materialized = [];
        try {
          const value = this.db.transaction(() => {
            const result = fn(now);
            this.budgets.flush();
            return result;
          });
          outcome = { ok: true, value };
        } catch (error) {
          this.#forget();
          this.#keepMaterialized();
          outcome = { ok: false, error };
        }
      });
    } catch (error) {
      this.#forget();
      throw asLedgerError(error);
    }
    if (!outcome?.ok) throw asLedgerError(outcome?.error);
    return outcome.value;
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.db.close();
  }

  /** After a rolled-back call: store again the budgets it materialised, as they were created. */
  #keepMaterialized(): void {
    for (const b of this.#materialized.splice(0)) {
      if (!this.budgets.find(b.scope, b.unit)) this.budgets.insert(b);
    }
    this.budgets.flush();
  }

  #forget(): void {
    this.budgets.forget();
    this.config.forget();
  }
}
