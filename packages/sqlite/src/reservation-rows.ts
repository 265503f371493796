/**
 * The `reservations` table: each reservation's detail (as JSON) with the
 * columns expiry, settlement and retention need. `deadline` is
 * expiresAt + grace; `finalized_seq` orders reservations by when they left
 * ACTIVE, for retention; `raised` (JSON, ACTIVE ones only) is what an
 * approval raised each of its budgets by, aligned with its affected scopes.
 */
import type { OveragePolicy, ReservationDetail } from '@governor/core';
import type { Row, SqlDatabase, SqlStatement } from './driver.js';

export interface StoredReservation {
  detail: ReservationDetail;
  gracePeriodMs: number;
  overagePolicy: OveragePolicy;
  extensions: number;
  /** What its approval raised each budget by (see core's giveBackRaise); undefined: nothing. */
  raised?: number[] | undefined;
}

const COLUMNS = 'detail, grace_ms, overage_policy, extensions, raised';

const fromRow = (r: Row): StoredReservation => {
  const stored: StoredReservation = {
    detail: JSON.parse(r.detail as string),
    gracePeriodMs: r.grace_ms as number,
    overagePolicy: r.overage_policy as OveragePolicy,
    extensions: r.extensions as number,
  };
  if (typeof r.raised === 'string') stored.raised = JSON.parse(r.raised);
  return stored;
};

export class ReservationRows {
  readonly #select: SqlStatement;
  readonly #insert: SqlStatement;
  readonly #update: SqlStatement;
  readonly #finalize: SqlStatement;
  readonly #due: SqlStatement;
  readonly #pruneOld: SqlStatement;
  readonly #pruneMany: SqlStatement;
  readonly #all: SqlStatement;
  readonly #ofTenant: SqlStatement;
  readonly #live: SqlStatement;

  constructor(db: SqlDatabase) {
    this.#select = db.prepare(`SELECT ${COLUMNS} FROM reservations WHERE id = ?`);
    this.#insert = db.prepare(
      `INSERT INTO reservations (id, tenant, status, ${COLUMNS}, deadline) VALUES (?, ?, 'ACTIVE', ?, ?, ?, 0, ?, ?)`,
    );
    this.#update = db.prepare(
      'UPDATE reservations SET detail = ?, extensions = ?, deadline = ? WHERE id = ?',
    );
    this.#finalize = db.prepare(
      `UPDATE reservations SET status = ?, detail = ?, finalized_at = ?, raised = NULL,
        finalized_seq = (SELECT COALESCE(MAX(finalized_seq), 0) + 1 FROM reservations) WHERE id = ?`,
    );
    this.#due = db.prepare(
      `SELECT ${COLUMNS} FROM reservations WHERE status = 'ACTIVE' AND deadline < ? ORDER BY deadline, id`,
    );
    this.#pruneOld = db.prepare('DELETE FROM reservations WHERE finalized_at < ?');
    this.#pruneMany = db.prepare(
      'DELETE FROM reservations WHERE finalized_seq <= (SELECT MAX(finalized_seq) FROM reservations) - ?',
    );
    this.#all = db.prepare('SELECT detail FROM reservations');
    this.#ofTenant = db.prepare('SELECT detail FROM reservations WHERE tenant = ?');
    this.#live = db.prepare('SELECT n FROM live_reservations WHERE tenant = ?');
  }

  /** How many ACTIVE reservations `tenant` holds. */
  liveCount(tenant: string): number {
    return Number(this.#live.get(tenant)?.n ?? 0);
  }

  get(id: string): StoredReservation | undefined {
    const row = this.#select.get(id);
    return row ? fromRow(row) : undefined;
  }

  insert(r: StoredReservation): void {
    const d = r.detail;
    const deadline = d.expiresAtMs + r.gracePeriodMs;
    this.#insert.run(
      d.reservationId,
      d.subject.tenant,
      JSON.stringify(d),
      r.gracePeriodMs,
      r.overagePolicy,
      r.raised ? JSON.stringify(r.raised) : null,
      deadline,
    );
  }

  /** Store an ACTIVE reservation's new expiry and extension count. */
  update(r: StoredReservation): void {
    const d = r.detail;
    this.#update.run(JSON.stringify(d), r.extensions, d.expiresAtMs + r.gracePeriodMs, d.reservationId);
  }

  /** Store a reservation that has left ACTIVE (its detail says how). */
  finalize(r: StoredReservation, now: number): void {
    this.#finalize.run(r.detail.status, JSON.stringify(r.detail), now, r.detail.reservationId);
  }

  /** ACTIVE reservations past expiry + grace at `now`. */
  due(now: number): StoredReservation[] {
    return this.#due.all(now).map(fromRow);
  }

  /**
   * Forget finalized reservations past `retentionMs`, and the oldest beyond
   * `max`; a trigger keeps their tenants in `settled_reservations` (see IdempotencyRows).
   */
  prune(now: number, retentionMs: number, max: number): void {
    this.#pruneOld.run(now - retentionMs);
    this.#pruneMany.run(max);
  }

  /** Every reservation kept (of one tenant). */
  list(tenant?: string): ReservationDetail[] {
    const rows = tenant === undefined ? this.#all.all() : this.#ofTenant.all(tenant);
    return rows.map((r) => JSON.parse(r.detail as string));
  }
}
