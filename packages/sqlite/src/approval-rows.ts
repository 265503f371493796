/**
 * The `approvals` table: one row per approval (its record as JSON), the
 * latest per (tenant, key) found by creation order; the rules are core's
 * (approvals/rules.ts), applied in the call's write transaction.
 */
import {
  APPROVAL_RETENTION_MS,
  type Approval,
  type ApprovalDecision,
  type ApprovalQuery,
  type ApprovalRequest,
  admits,
  applyDecision,
  approvalAt,
  isClosed,
  markUsed,
  NotFoundError,
  newApproval,
  newApprovalId,
} from '@governor/core';
import type { SqlDatabase, SqlStatement } from './driver.js';

export class ApprovalRows {
  readonly #byId: SqlStatement;
  readonly #latest: SqlStatement;
  readonly #insert: SqlStatement;
  readonly #update: SqlStatement;
  readonly #ofTenant: SqlStatement;
  readonly #all: SqlStatement;
  readonly #prune: SqlStatement;

  constructor(db: SqlDatabase) {
    this.#byId = db.prepare('SELECT data FROM approvals WHERE id = ?');
    this.#latest = db.prepare(
      'SELECT data FROM approvals WHERE tenant = ? AND key = ? ORDER BY created_at DESC, rowid DESC LIMIT 1',
    );
    this.#insert = db.prepare(
      'INSERT INTO approvals (id, tenant, key, created_at, keep_until, data) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#update = db.prepare('UPDATE approvals SET keep_until = ?, data = ? WHERE id = ?');
    this.#ofTenant = db.prepare('SELECT data FROM approvals WHERE tenant = ? ORDER BY created_at DESC, id');
    this.#all = db.prepare('SELECT data FROM approvals ORDER BY created_at DESC, id');
    this.#prune = db.prepare('DELETE FROM approvals WHERE keep_until < ?');
  }

  request(req: ApprovalRequest, now: number): { approval: Approval; created: boolean } {
    this.#prune.run(now);
    const latest = this.find(req.subject.tenant, req.key);
    if (latest && !isClosed(latest, now)) return { approval: approvalAt(latest, now), created: false };
    const a = newApproval(newApprovalId(), req, now);
    this.#insert.run(a.approvalId, a.tenant, a.key, now, keepUntil(a), JSON.stringify(a));
    return { approval: approvalAt(a, now), created: true };
  }

  find(tenant: string, key: string): Approval | undefined {
    return parse(this.#latest.get(tenant, key));
  }

  get(tenant: string, id: string): Approval {
    const a = parse(this.#byId.get(id));
    if (!a || a.tenant !== tenant) throw new NotFoundError(`Approval ${id} not found in tenant ${tenant}`);
    return a;
  }

  list(query: ApprovalQuery, now: number): Approval[] {
    const rows = query.tenant !== undefined ? this.#ofTenant.all(query.tenant) : this.#all.all();
    const out: Approval[] = [];
    for (const row of rows) {
      const a = approvalAt(parse(row) as Approval, now);
      if (query.status === undefined || a.status === query.status) out.push(a);
      if (out.length === (query.limit ?? 100)) break;
    }
    return out;
  }

  decide(d: ApprovalDecision, actor: string, now: number): Approval {
    const a = applyDecision(this.get(d.tenant, d.approvalId), d, actor, now);
    this.#save(a);
    return approvalAt(a, now);
  }

  /** The approval `id` if it admits this reserve now; `use` marks it used (in the same transaction). */
  usable(
    id: string | undefined,
    req: Parameters<typeof admits>[1],
    now: number,
  ): { approval: Approval; use(reservationId: string): void } | undefined {
    const a = id === undefined ? undefined : parse(this.#byId.get(id));
    if (!admits(a, req, now)) return undefined;
    return {
      approval: a,
      use: (reservationId) => {
        markUsed(a, reservationId, now);
        this.#save(a);
      },
    };
  }

  #save(a: Approval): void {
    this.#update.run(keepUntil(a), JSON.stringify(a), a.approvalId);
  }
}

const keepUntil = (a: Approval) => (a.usedAtMs ?? a.expiresAtMs) + APPROVAL_RETENTION_MS;

function parse(row: Record<string, unknown> | undefined): Approval | undefined {
  return row ? (JSON.parse(row.data as string) as Approval) : undefined;
}
