import { IdempotencyMismatchError } from '../errors.js';
import { Fifo } from './fifo.js';

export type IdempotentOperation = 'reserve' | 'commit' | 'release' | 'extend' | 'decide' | 'event';

interface IdempotencyRecord {
  fingerprint: string;
  response: unknown;
}

/**
 * Successful answers per (tenant, operation, key), kept for `retentionMs` and
 * at most `maxRecords` (oldest dropped first). A replay with the same payload
 * fingerprint gets the original answer; another payload is IDEMPOTENCY_MISMATCH.
 */
export class IdempotencyStore {
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
      throw new IdempotencyMismatchError(
        `Idempotency key "${key}" was already used for a different ${op} request of tenant ${tenant}`,
        { idempotency_key: key, operation: op },
      );
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
