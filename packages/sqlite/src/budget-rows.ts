/**
 * The `budgets` table as BudgetState values. Within one transaction each
 * budget is loaded once (an identity map), changed in place by core's shared
 * rules, and written back by `flush()` if it changed.
 */
import { tenantOfScope, type Unit } from '@governor/core';
import type { BudgetState } from '@governor/core/ledger';
import type { Row, SqlDatabase, SqlStatement } from './driver.js';

const COLUMNS =
  'scope, unit, status, allocated, spent, reserved, debt, overdraft_limit, is_over_limit, caps, isolated';

function fromRow(r: Row): BudgetState {
  const b: BudgetState = {
    scope: r.scope as string,
    unit: r.unit as Unit,
    status: r.status as BudgetState['status'],
    allocated: r.allocated as number,
    spent: r.spent as number,
    reserved: r.reserved as number,
    debt: r.debt as number,
    overdraftLimit: r.overdraft_limit as number,
    isOverLimit: r.is_over_limit === 1,
    caps: r.caps === null ? undefined : JSON.parse(r.caps as string),
    isolated: r.isolated === 1 ? true : undefined,
  };
  return b;
}

/** The columns after (scope, unit), in COLUMNS order. */
const valuesOf = (b: BudgetState) => [
  b.status,
  b.allocated,
  b.spent,
  b.reserved,
  b.debt,
  b.overdraftLimit,
  b.isOverLimit ? 1 : 0,
  b.caps ? JSON.stringify(b.caps) : null,
  b.isolated ? 1 : 0,
];

export class BudgetRows {
  readonly #select: SqlStatement;
  readonly #insert: SqlStatement;
  readonly #update: SqlStatement;
  readonly #all: SqlStatement;
  readonly #ofTenant: SqlStatement;
  /** Budgets loaded in the current transaction, with the values they were loaded with. */
  #loaded = new Map<string, { budget: BudgetState; stored: string }>();

  constructor(db: SqlDatabase) {
    this.#select = db.prepare(`SELECT ${COLUMNS} FROM budgets WHERE scope = ? AND unit = ?`);
    this.#insert = db.prepare(
      `INSERT INTO budgets (${COLUMNS}, tenant) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#update = db.prepare(
      `UPDATE budgets SET status = ?, allocated = ?, spent = ?, reserved = ?, debt = ?, overdraft_limit = ?,
        is_over_limit = ?, caps = ?, isolated = ? WHERE scope = ? AND unit = ?`,
    );
    this.#all = db.prepare(`SELECT ${COLUMNS} FROM budgets ORDER BY rowid`);
    this.#ofTenant = db.prepare(`SELECT ${COLUMNS} FROM budgets WHERE tenant = ? ORDER BY rowid`);
  }

  /** The stored budget at (scope, unit), the same object for the rest of the transaction. */
  find(scope: string, unit: Unit): BudgetState | undefined {
    const key = `${scope}\u0000${unit}`;
    const loaded = this.#loaded.get(key);
    if (loaded) return loaded.budget;
    const row = this.#select.get(scope, unit);
    if (!row) return undefined;
    const budget = fromRow(row);
    this.#loaded.set(key, { budget, stored: JSON.stringify(valuesOf(budget)) });
    return budget;
  }

  /** Store a new budget (the caller has checked that none exists). */
  insert(b: BudgetState): void {
    this.#insert.run(b.scope, b.unit, ...valuesOf(b), tenantOfScope(b.scope));
    this.#loaded.set(`${b.scope}\u0000${b.unit}`, { budget: b, stored: JSON.stringify(valuesOf(b)) });
  }

  /** Write back every loaded budget that changed, and forget them. */
  flush(): void {
    for (const { budget, stored } of this.#loaded.values()) {
      const values = valuesOf(budget);
      if (JSON.stringify(values) !== stored) this.#update.run(...values, budget.scope, budget.unit);
    }
    this.#loaded.clear();
  }

  /** Forget loaded budgets without writing them (after a rollback). */
  forget(): void {
    this.#loaded.clear();
  }

  /** Every budget (of one tenant), in creation order, as stored. */
  list(tenant?: string): BudgetState[] {
    const rows = tenant === undefined ? this.#all.all() : this.#ofTenant.all(tenant);
    return rows.map(fromRow);
  }
}
