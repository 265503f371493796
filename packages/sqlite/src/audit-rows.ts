/**
 * The `audit` table: each tenant's hash-chained trail, appended in the same
 * transaction as the change it records (rolled back with it), at most
 * `maxRecordsPerTenant` kept per tenant (the oldest dropped first) and none
 * older than `maxAgeMs`; `audit_heads` holds each chain's last hash.
 */
import type { AuditEntry, AuditPage, AuditQuery, AuditRecord, AuditVerification } from '@governor/core';
import { verifyChain } from '@governor/core';
import { collectPage, entryOfBody, parseAuditQuery, sealEntry } from '@governor/core/ledger';
import type { SqlDatabase, SqlStatement } from './driver.js';

const PAGE = 500;

interface Row {
  seq: number;
  prev_hash: string;
  hash: string;
  body: string;
}

const recordOf = (r: Row): AuditRecord => ({
  ...entryOfBody(r.body),
  id: String(r.seq),
  prevHash: r.prev_hash,
  hash: r.hash,
  body: r.body,
});

export class AuditRows {
  readonly #head: SqlStatement;
  readonly #setHead: SqlStatement;
  readonly #insert: SqlStatement;
  readonly #trimCount: SqlStatement;
  readonly #trimAge: SqlStatement;
  readonly #after: SqlStatement;
  readonly #tenants: SqlStatement;

  constructor(
    db: SqlDatabase,
    private readonly maxRecords: number,
    private readonly maxAgeMs: number,
  ) {
    this.#head = db.prepare('SELECT seq, hash FROM audit_heads WHERE tenant = ?');
    this.#setHead = db.prepare(
      `INSERT INTO audit_heads (tenant, seq, hash) VALUES (?, ?, ?)
        ON CONFLICT (tenant) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
    );
    this.#insert = db.prepare(
      'INSERT INTO audit (tenant, seq, at_ms, prev_hash, hash, body) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#trimCount = db.prepare('DELETE FROM audit WHERE tenant = ? AND seq <= ?');
    this.#trimAge = db.prepare('DELETE FROM audit WHERE tenant = ? AND at_ms < ?');
    this.#after = db.prepare(
      'SELECT seq, prev_hash, hash, body FROM audit WHERE tenant = ? AND seq > ? AND at_ms >= ? ORDER BY seq LIMIT ?',
    );
    this.#tenants = db.prepare('SELECT tenant FROM audit_heads ORDER BY tenant');
  }

  /** Append `entry` to its tenant's chain (in the caller's transaction); its sequence number. */
  append(entry: AuditEntry): number {
    const head = this.#head.get(entry.tenant) as { seq: number; hash: string } | undefined;
    const prevHash = head?.hash ?? '';
    const seq = Number(head?.seq ?? 0) + 1;
    const { body, hash } = sealEntry(entry, prevHash);
    this.#insert.run(entry.tenant, seq, entry.atMs, prevHash, hash, body);
    this.#setHead.run(entry.tenant, seq, hash);
    if (seq > this.maxRecords) this.#trimCount.run(entry.tenant, seq - this.maxRecords);
    if (Number.isFinite(this.maxAgeMs)) this.#trimAge.run(entry.tenant, entry.atMs - this.maxAgeMs);
    return seq;
  }

  /** The record `seq` of `tenant`. */
  read(tenant: string, seq: number): AuditRecord | undefined {
    const [row] = this.#after.all(tenant, seq - 1, 0, 1) as unknown as Row[];
    return row && Number(row.seq) === seq ? recordOf(row) : undefined;
  }

  query(input?: AuditQuery): Promise<AuditPage> {
    const q = parseAuditQuery(input);
    const tenants =
      q.tenant !== undefined
        ? [q.tenant]
        : (this.#tenants.all() as { tenant: string }[]).map((r) => r.tenant);
    return collectPage(
      tenants,
      (tenant) => this.#records(tenant, Number(q.positions.get(tenant) ?? 0), q.fromMs ?? 0),
      q,
    );
  }

  verify(tenant: string): AuditVerification {
    return verifyChain(tenant, this.#records(tenant, 0, 0));
  }

  /** `tenant`'s records after `after`, from `fromMs`, oldest first, a page at a time. */
  *#records(tenant: string, after: number, fromMs: number): Generator<AuditRecord> {
    let from = after;
    for (;;) {
      const rows = this.#after.all(tenant, from, fromMs, PAGE) as unknown as Row[];
      for (const row of rows) yield recordOf(row);
      if (rows.length < PAGE) return;
      from = Number((rows.at(-1) as Row).seq);
    }
  }
}
