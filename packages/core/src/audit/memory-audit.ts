/**
 * The audit trail of a JavaScript ledger: a bounded ring of records per
 * tenant (by count and by age), hash-chained, with the shared queries.
 */
import { entryOfBody } from './body.js';
import { verifyChain } from './chain.js';
import { collectPage, parseAuditQuery } from './query.js';
import { sealEntry } from './seal.js';
import type {
  AuditEntry,
  AuditPage,
  AuditQuery,
  AuditRecord,
  AuditRetention,
  AuditVerification,
} from './types.js';

export const DEFAULT_MEMORY_AUDIT_RECORDS = 10_000;

/** A kept record: its text and its place in the chain (parsed only when read). */
export interface StoredAuditRecord {
  id: number;
  atMs: number;
  prevHash: string;
  hash: string;
  body: string;
}

/** The record a reader sees. */
export const readRecord = (r: StoredAuditRecord): AuditRecord => ({
  ...entryOfBody(r.body),
  id: String(r.id),
  prevHash: r.prevHash,
  hash: r.hash,
  body: r.body,
});

/**
 * Make `text` one flat string in place. JSON.stringify hands back a rope of
 * its chunks; kept as is, each record would hold a tree of string pieces
 * (more memory, more objects for the collector). Reading it as a number
 * flattens it, and stops at its first character.
 */
function flatten(text: string): void {
  Number(text);
}

/** What a dropped record's slot holds until the dead prefix is cut. */
const DROPPED: StoredAuditRecord = { id: 0, atMs: 0, prevHash: '', hash: '', body: '' };

interface Trail {
  records: StoredAuditRecord[];
  /** Index of the oldest kept record in `records` (records before it are dropped lazily). */
  head: number;
  seq: number;
  lastHash: string;
}

/** Plain data for a snapshot: every tenant's kept records and chain position. */
export interface AuditSnapshot {
  trails: { tenant: string; seq: number; lastHash: string; records: StoredAuditRecord[] }[];
}

export class MemoryAuditLog {
  readonly #trails = new Map<string, Trail>();
  readonly #max: number;
  readonly #maxAgeMs: number;

  constructor(retention: AuditRetention = {}) {
    this.#max = retention.maxRecordsPerTenant ?? DEFAULT_MEMORY_AUDIT_RECORDS;
    this.#maxAgeMs = retention.maxAgeMs ?? Number.POSITIVE_INFINITY;
  }

  /** Append `full` (given actor and trace id from the audit context when it has none; it is changed) to its tenant's chain. */
  append(full: AuditEntry): StoredAuditRecord {
    let trail = this.#trails.get(full.tenant);
    if (!trail) {
      trail = { records: [], head: 0, seq: 0, lastHash: '' };
      this.#trails.set(full.tenant, trail);
    }
    // Kept as text only: a ring of strings costs the collector far less than a ring of object graphs.
    const { body, hash } = sealEntry(full, trail.lastHash);
    flatten(body);
    trail.seq += 1;
    const record: StoredAuditRecord = {
      id: trail.seq,
      atMs: full.atMs,
      prevHash: trail.lastHash,
      hash,
      body,
    };
    trail.lastHash = hash;
    trail.records.push(record);
    this.#trim(trail, full.atMs);
    return record;
  }

  query(input?: AuditQuery): Promise<AuditPage> {
    const q = parseAuditQuery(input);
    const tenants = q.tenant !== undefined ? [q.tenant] : [...this.#trails.keys()];
    return collectPage(tenants, (tenant) => this.#after(tenant, Number(q.positions.get(tenant) ?? 0), q), q);
  }

  /** `tenant`'s kept records after sequence number `after`, within the query's time range, read. */
  *#after(tenant: string, after: number, q: AuditQuery): Generator<AuditRecord> {
    const trail = this.#trails.get(tenant);
    if (!trail) return;
    for (let i = this.#firstAfter(trail, after); i < trail.records.length; i++) {
      const stored = trail.records[i] as StoredAuditRecord;
      if (q.fromMs !== undefined && stored.atMs < q.fromMs) continue;
      if (q.toMs !== undefined && stored.atMs >= q.toMs) continue;
      yield readRecord(stored);
    }
  }

  verify(tenant: string): AuditVerification {
    const trail = this.#trails.get(tenant);
    const records = trail ? trail.records.slice(trail.head) : [];
    return verifyChain(
      tenant,
      records.map((r) => ({ ...r, id: String(r.id) })),
    );
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
    return Math.max(trail.head, trail.head + after - first.id + 1);
  }

  #trim(trail: Trail, now: number): void {
    const { records } = trail;
    while (
      trail.head < records.length &&
      (records.length - trail.head > this.#max ||
        (records[trail.head] as StoredAuditRecord).atMs + this.#maxAgeMs < now)
    ) {
      records[trail.head] = DROPPED; // its text goes now, not when the dead prefix is cut
      trail.head += 1;
    }
    // Drop the dead prefix once it is as long as what is kept: amortised O(1) per record.
    if (trail.head > 64 && trail.head >= records.length - trail.head) {
      records.splice(0, trail.head);
      trail.head = 0;
    }
  }
}
