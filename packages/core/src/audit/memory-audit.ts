/**
 * The audit trail of a JavaScript ledger: a bounded ring of records per
 * tenant (by count and by age), hash-chained, with the shared queries.
 */
import { chainHash, verifyChain } from './chain.js';
import { currentAuditContext } from './context.js';
import { matchesAudit, mergePage, parseAuditQuery } from './query.js';
import type {
  AuditEntry,
  AuditPage,
  AuditQuery,
  AuditRecord,
  AuditRetention,
  AuditVerification,
} from './types.js';

export const DEFAULT_MEMORY_AUDIT_RECORDS = 10_000;

interface Trail {
  records: AuditRecord[];
  /** Index of the oldest kept record in `records` (records before it are dropped lazily). */
  head: number;
  seq: number;
  lastHash: string;
}

/** Plain data for a snapshot: every tenant's kept records and chain position. */
export interface AuditSnapshot {
  trails: { tenant: string; seq: number; lastHash: string; records: AuditRecord[] }[];
}

export class MemoryAuditLog {
  readonly #trails = new Map<string, Trail>();
  readonly #max: number;
  readonly #maxAgeMs: number;

  constructor(retention: AuditRetention = {}) {
    this.#max = retention.maxRecordsPerTenant ?? DEFAULT_MEMORY_AUDIT_RECORDS;
    this.#maxAgeMs = retention.maxAgeMs ?? Number.POSITIVE_INFINITY;
  }

  /** Append `entry` (actor and trace id from the audit context when it has none) to its tenant's chain. */
  append(entry: AuditEntry): AuditRecord {
    const full: AuditEntry = { ...currentAuditContext(), ...entry };
    let trail = this.#trails.get(full.tenant);
    if (!trail) {
      trail = { records: [], head: 0, seq: 0, lastHash: '' };
      this.#trails.set(full.tenant, trail);
    }
    const body = JSON.stringify(full);
    trail.seq += 1;
    const record: AuditRecord = {
      ...full,
      id: String(trail.seq),
      prevHash: trail.lastHash,
      hash: chainHash(trail.lastHash, body),
      body,
    };
    trail.lastHash = record.hash;
    trail.records.push(record);
    this.#trim(trail, full.atMs);
    return record;
  }

  query(input?: AuditQuery): AuditPage {
    const q = parseAuditQuery(input);
    const tenants = q.tenant !== undefined ? [q.tenant] : [...this.#trails.keys()];
    const candidates = new Map<string, AuditRecord[]>();
    const more = new Set<string>();
    for (const tenant of tenants) {
      const trail = this.#trails.get(tenant);
      if (!trail) continue;
      const after = Number(q.positions.get(tenant) ?? 0);
      const found: AuditRecord[] = [];
      for (let i = this.#firstAfter(trail, after); i < trail.records.length; i++) {
        const r = trail.records[i] as AuditRecord;
        if (!matchesAudit(r, q)) continue;
        if (found.length === q.limit) {
          more.add(tenant);
          break;
        }
        found.push(r);
      }
      if (found.length > 0) candidates.set(tenant, found);
    }
    return mergePage(candidates, q, (t) => more.has(t));
  }

  verify(tenant: string): AuditVerification {
    const trail = this.#trails.get(tenant);
    return verifyChain(tenant, trail ? trail.records.slice(trail.head) : []);
  }

  snapshot(): AuditSnapshot {
    return {
      trails: [...this.#trails].map(([tenant, t]) => ({
        tenant,
        seq: t.seq,
        lastHash: t.lastHash,
        records: structuredClone(t.records.slice(t.head)),
      })),
    };
  }

  load(snapshot: AuditSnapshot): void {
    for (const t of snapshot.trails)
      this.#trails.set(t.tenant, {
        records: structuredClone(t.records),
        head: 0,
        seq: t.seq,
        lastHash: t.lastHash,
      });
  }

  /** Index of the first kept record with a sequence number above `after`. */
  #firstAfter(trail: Trail, after: number): number {
    const first = trail.records[trail.head];
    if (!first) return trail.records.length;
    return Math.max(trail.head, trail.head + after - Number(first.id) + 1);
  }

  #trim(trail: Trail, now: number): void {
    const { records } = trail;
    while (
      trail.head < records.length &&
      (records.length - trail.head > this.#max ||
        (records[trail.head] as AuditRecord).atMs + this.#maxAgeMs < now)
    )
      trail.head += 1;
    // Drop the dead prefix once it is as long as what is kept: amortised O(1) per record.
    if (trail.head > 64 && trail.head >= records.length - trail.head) {
      records.splice(0, trail.head);
      trail.head = 0;
    }
  }
}
