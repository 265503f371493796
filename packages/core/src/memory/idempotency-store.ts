import { IdempotencyMismatchError } from '../errors.js';

export type IdempotentOperation = 'reserve' | 'commit' | 'release' | 'extend' | 'decide' | 'event';

interface IdempotencyRecord {
  fingerprint: string;
  response: unknown;
  storedAt: number;
}

/**
 * Successful answers per (tenant, operation, key), kept for `retentionMs` and
 * at most `maxRecords` (oldest dropped first). A replay with the same payload
 * fingerprint gets the original answer; another payload is IDEMPOTENCY_MISMATCH.
 */
export class IdempotencyStore {
  #records = new Map<string, IdempotencyRecord>();

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
    this.#records.set(`${tenant}\u0000${op}\u0000${key}`, { fingerprint, response, storedAt: now });
  }

  /** Drop records past retention or over the size bound; insertion order is time order. */
  prune(now: number): void {
    for (const [key, record] of this.#records) {
      if (record.storedAt + this.retentionMs >= now && this.#records.size <= this.maxRecords) return;
      this.#records.delete(key);
    }
  }
}
