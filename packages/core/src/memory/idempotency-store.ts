import {
  type IdempotencyRecords,
  type IdempotentOperation,
  idempotencyMismatchError,
} from '../ledger/idempotency.js';
import { Fifo } from './fifo.js';

export type { IdempotentOperation };

interface IdempotencyRecord {
  fingerprint: string;
  response: unknown;
}

/**
 * Successful answers per (tenant, operation, key), kept for `retentionMs` and
 * at most `maxRecords` (oldest dropped first). A replay with the same payload
 * fingerprint gets the original answer; another payload is IDEMPOTENCY_MISMATCH.
 */
export class IdempotencyStore implements IdempotencyRecords {
  #records = new Map<string, IdempotencyRecord>();
  #order = new Fifo();

  constructor(
    private readonly retentionMs: number,
    private readonly maxRecords: number,
  ) {}

  /** The stored answer for a replay, a fresh copy; undefined for a first attempt. */
  replay<T>(tenant: string, op: IdempotentOperation, key: string, fingerprint: string): T | undefined {
    const record = this.#records.get(`${tenant}\u0000${op}\u0000${key}`);
    if (!record) return undefined;
    if (record.fingerprint !== fingerprint) {
      throw idempotencyMismatchError(tenant, op, key);
    }
    return structuredClone(record.response) as T;
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
    this.#records.set(id, { fingerprint, response });
  }

  /** Drop records past retention or over the size bound, oldest first. */
  prune(now: number): void {
    this.#order.shiftWhile(
      (storedAt, size) => storedAt + this.retentionMs < now || size > this.maxRecords,
      (id) => this.#records.delete(id),
    );
  }
}
