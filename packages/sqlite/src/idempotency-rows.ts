/**
 * The `idempotency` table: successful answers per (tenant, operation, key),
 * with a SHA-256 of the request's fingerprint, kept for `retentionMs` and at
 * most `maxRecords` (oldest dropped first), as core's IdempotencyRecords;
 * and, as long, the tenants of pruned reservations (`settled_reservations`),
 * so their settlement answers replay for the whole window.
 */
import { createHash } from 'node:crypto';
import {
  type IdempotencyRecords,
  type IdempotentOperation,
  idempotencyMismatchError,
} from '@governor/core/ledger';
import type { SqlDatabase, SqlStatement } from './driver.js';

const digest = (fingerprint: string) => createHash('sha256').update(fingerprint).digest('base64');

export class IdempotencyRows implements IdempotencyRecords {
  readonly #select: SqlStatement;
  readonly #upsert: SqlStatement;
  readonly #pruneOld: SqlStatement;
  readonly #pruneMany: SqlStatement;
  readonly #settled: SqlStatement;
  readonly #pruneSettledOld: SqlStatement;
  readonly #pruneSettledMany: SqlStatement;

  constructor(
    db: SqlDatabase,
    private readonly retentionMs: number,
    private readonly maxRecords: number,
  ) {
    this.#select = db.prepare(
      'SELECT fingerprint, response FROM idempotency WHERE tenant = ? AND op = ? AND key = ?',
    );
    this.#upsert = db.prepare(
      `INSERT INTO idempotency (tenant, op, key, fingerprint, response, stored_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (tenant, op, key) DO UPDATE SET fingerprint = excluded.fingerprint, response = excluded.response`,
    );
    this.#pruneOld = db.prepare('DELETE FROM idempotency WHERE stored_at < ?');
    this.#pruneMany = db.prepare(
      'DELETE FROM idempotency WHERE seq <= (SELECT MAX(seq) FROM idempotency) - ?',
    );
    this.#settled = db.prepare('SELECT tenant FROM settled_reservations WHERE id = ?');
    this.#pruneSettledOld = db.prepare('DELETE FROM settled_reservations WHERE at < ?');
    this.#pruneSettledMany = db.prepare(
      'DELETE FROM settled_reservations WHERE rowid <= (SELECT MAX(rowid) FROM settled_reservations) - ?',
    );
  }

  settledTenant(reservationId: string): string | undefined {
    return (this.#settled.get(reservationId)?.tenant as string | undefined) ?? undefined;
  }

  replay<T>(tenant: string, op: IdempotentOperation, key: string, fingerprint: string): T | undefined {
    const row = this.#select.get(tenant, op, key);
    if (!row) return undefined;
    if (row.fingerprint !== digest(fingerprint)) throw idempotencyMismatchError(tenant, op, key);
    return JSON.parse(row.response as string) as T;
  }

  remember(
    tenant: string,
    op: IdempotentOperation,
    key: string,
    fingerprint: string,
    response: unknown,
    now: number,
  ): void {
    this.#upsert.run(tenant, op, key, digest(fingerprint), JSON.stringify(response), now);
  }

  /** Drop records past retention or over the size bound, oldest first. */
  prune(now: number): void {
    this.#pruneOld.run(now - this.retentionMs);
    this.#pruneMany.run(this.maxRecords);
    this.#pruneSettledOld.run(now - this.retentionMs);
    this.#pruneSettledMany.run(this.maxRecords);
  }
}
