import { sha1Base64 } from '../audit/chain.js';
import {
  type IdempotencyRecords,
  type IdempotentOperation,
  idempotencyMismatchError,
} from '../ledger/idempotency.js';
import type { Balance } from '../protocol/types.js';
import { Fifo } from './fifo.js';
import { type PackedBalances, packBalances, unpackBalances } from './packed-balances.js';

export type { IdempotentOperation };

/**
 * An answer as kept: the request's fingerprint as a digest, the answer without
 * its balances, and the balances packed — a few hundred bytes and a handful of
 * objects where the whole answer took kilobytes (see packed-balances.ts).
 */
interface IdempotencyRecord {
  digest: string;
  response: unknown;
  packed?: PackedBalances | undefined;
}

/** A fingerprint as kept. Marked, so a snapshot of raw fingerprints (older versions) still loads. */
const DIGEST = 'sha1:';
const digestOf = (fingerprint: string) =>
  fingerprint.startsWith(DIGEST) ? fingerprint : `${DIGEST}${sha1Base64(fingerprint)}`;

function keep(fingerprint: string, response: unknown): IdempotencyRecord {
  const digest = digestOf(fingerprint);
  const balances = (response as { balances?: Balance[] } | null)?.balances;
  const packed = Array.isArray(balances) ? packBalances(balances) : undefined;
  if (!packed) return { digest, response };
  const { balances: _balances, ...rest } = response as Record<string, unknown>;
  return { digest, response: rest, packed };
}

/** A fresh copy of the kept answer, balances unpacked. */
function answerOf(record: IdempotencyRecord): unknown {
  const copy = structuredClone(record.response);
  if (record.packed) (copy as Record<string, unknown>).balances = unpackBalances(record.packed);
  return copy;
}

/** The records of an IdempotencyStore as plain data, oldest first (see MemorySnapshot). */
export interface IdempotencySnapshot {
  records: [id: string, storedAt: number, fingerprint: string, response: unknown][];
  settled: [reservationId: string, prunedAt: number, tenant: string][];
}

/**
 * Successful answers per (tenant, operation, key), kept for `retentionMs` and
 * at most `maxRecords` (oldest dropped first). A replay with the same payload
 * fingerprint gets the original answer; another payload is IDEMPOTENCY_MISMATCH.
 * It also keeps, as long, the tenant of each reservation pruned from the
 * ledger, so the settlement answers of that reservation still replay.
 */
export class IdempotencyStore implements IdempotencyRecords {
  #records = new Map<string, IdempotencyRecord>();
  #order = new Fifo();
  #settled = new Map<string, string>();
  #settledOrder = new Fifo();

  constructor(
    private readonly retentionMs: number,
    private readonly maxRecords: number,
  ) {}

  /** The stored answer for a replay, a fresh copy; undefined for a first attempt. */
  replay<T>(tenant: string, op: IdempotentOperation, key: string, fingerprint: string): T | undefined {
    const record = this.#records.get(`${tenant}\u0000${op}\u0000${key}`);
    if (!record) return undefined;
    if (record.digest !== digestOf(fingerprint)) {
      throw idempotencyMismatchError(tenant, op, key);
    }
    return answerOf(record) as T;
  }

  remember(
    tenant: string,
    op: IdempotentOperation,
    key: string,
    fingerprint: string,
    response: unknown,
    now: number,
  ) {
    const id = `${tenant}\u0000${op}\u0000${key}`;
    if (!this.#records.has(id)) this.#order.push(now, id);
    this.#records.set(id, keep(fingerprint, response));
  }

  settledTenant(reservationId: string): string | undefined {
    return this.#settled.get(reservationId);
  }

  /** A reservation leaves the ledger: keep its tenant as long as answers are kept. */
  rememberSettled(reservationId: string, tenant: string, now: number): void {
    if (!this.#settled.has(reservationId)) this.#settledOrder.push(now, reservationId);
    this.#settled.set(reservationId, tenant);
  }

  /** Drop records past retention or over the size bound, oldest first. */
  prune(now: number): void {
    const expired = (storedAt: number, size: number) =>
      storedAt + this.retentionMs < now || size > this.maxRecords;
    this.#order.shiftWhile(expired, (id) => this.#records.delete(id));
    this.#settledOrder.shiftWhile(expired, (id) => this.#settled.delete(id));
  }

  snapshot(): IdempotencySnapshot {
    return {
      records: this.#order.entries().map(([storedAt, id]) => {
        const r = this.#records.get(id) as IdempotencyRecord;
        return [id, storedAt, r.digest, answerOf(r)];
      }),
      settled: this.#settledOrder
        .entries()
        .map(([at, id]) => [id, at, this.#settled.get(id) as string] as [string, number, string]),
    };
  }

  load(snapshot: IdempotencySnapshot): void {
    for (const [id, storedAt, fingerprint, response] of snapshot.records) {
      this.#order.push(storedAt, id);
      this.#records.set(id, keep(fingerprint, structuredClone(response)));
    }
    for (const [id, at, tenant] of snapshot.settled) this.rememberSettled(id, tenant, at);
  }
}
