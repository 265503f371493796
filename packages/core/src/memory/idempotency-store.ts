import * as crypto from 'node:crypto';
import {
  type IdempotencyRecords,
  type IdempotentOperation,
  idempotencyMismatchError,
} from '../ledger/idempotency.js';
import { Fifo } from './fifo.js';
import { AnswerKeeper, type KeptAnswer } from './kept-answers.js';

export type { IdempotentOperation };

/**
 * A fingerprint as kept: its SHA-1, 20 bytes as a 20-character string. In a
 * snapshot it reads `sha1:<base64>`, and a snapshot's fingerprint in that form
 * (or raw, from older versions) loads back to the same digest.
 */
const DIGEST = 'sha1:';
type OneShot = { hash?: (algorithm: string, data: string, encoding: string) => string };
const oneShot = (crypto as unknown as OneShot).hash;
const digestOf = (fingerprint: string): string =>
  oneShot
    ? oneShot('sha1', fingerprint, 'binary')
    : crypto.createHash('sha1').update(fingerprint).digest('binary');
const loadDigest = (fingerprint: string) =>
  fingerprint.startsWith(DIGEST)
    ? Buffer.from(fingerprint.slice(DIGEST.length), 'base64').toString('latin1')
    : digestOf(fingerprint);
const printDigest = (digest: string) => `${DIGEST}${Buffer.from(digest, 'latin1').toString('base64')}`;

/** One tenant's records of one operation, by idempotency key. */
interface Shelf {
  tenant: string;
  op: IdempotentOperation;
  records: Map<string, KeptAnswer>;
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
  /** Per tenant, its shelves by operation. */
  #shelves = new Map<string, Partial<Record<IdempotentOperation, Shelf>>>();
  /** Records oldest first: when stored, on which shelf, under which key. */
  #times: number[] = [];
  #homes: Shelf[] = [];
  #keys: string[] = [];
  #head = 0;
  #keeper = new AnswerKeeper();
  #settled = new Map<string, string>();
  #settledOrder = new Fifo();

  constructor(
    private readonly retentionMs: number,
    private readonly maxRecords: number,
  ) {}

  /** The stored answer for a replay, a fresh copy; undefined for a first attempt. */
  replay<T>(tenant: string, op: IdempotentOperation, key: string, fingerprint: string): T | undefined {
    const record = this.#shelves.get(tenant)?.[op]?.records.get(key);
    if (!record) return undefined;
    if (record.digest !== digestOf(fingerprint)) throw idempotencyMismatchError(tenant, op, key);
    return record.answer() as T;
  }

  remember(
    tenant: string,
    op: IdempotentOperation,
    key: string,
    fingerprint: string,
    response: unknown,
    now: number,
  ) {
    this.#keep(tenant, op, key, now, this.#keeper.keep(digestOf(fingerprint), response));
  }

  settledTenant(reservationId: string): string | undefined {
    return this.#settled.get(reservationId);
  }

  /** A reservation leaves the ledger: keep its tenant as long as answers are kept. */
  rememberSettled(reservationId: string, tenant: string, now: number): void {
    const size = this.#settled.size;
    this.#settled.set(reservationId, tenant);
    if (this.#settled.size !== size) this.#settledOrder.push(now, reservationId);
  }

  /** Drop records past retention or over the size bound, oldest first. */
  prune(now: number): void {
    const { retentionMs, maxRecords } = this;
    const times = this.#times;
    let head = this.#head;
    const end = this.#keys.length;
    while (head < end && ((times[head] as number) + retentionMs < now || end - head > maxRecords)) {
      const shelf = this.#homes[head] as Shelf;
      shelf.records.delete(this.#keys[head] as string);
      if (shelf.records.size === 0) this.#dropShelf(shelf);
      head += 1;
    }
    this.#head = head;
    if (head > 4096 && head * 2 > end) {
      this.#times = this.#times.slice(head);
      this.#homes = this.#homes.slice(head);
      this.#keys = this.#keys.slice(head);
      this.#head = 0;
    }
    this.#settledOrder.shiftExpired(now, retentionMs, maxRecords, this.#forgetSettled);
  }

  readonly #forgetSettled = (reservationId: string) => this.#settled.delete(reservationId);

  snapshot(): IdempotencySnapshot {
    const records: IdempotencySnapshot['records'] = [];
    for (let i = this.#head; i < this.#keys.length; i++) {
      const shelf = this.#homes[i] as Shelf;
      const key = this.#keys[i] as string;
      const r = shelf.records.get(key) as KeptAnswer;
      const id = `${shelf.tenant}\u0000${shelf.op}\u0000${key}`;
      records.push([id, this.#times[i] as number, printDigest(r.digest), r.answer()]);
    }
    return {
      records,
      settled: this.#settledOrder
        .entries()
        .map(([at, id]) => [id, at, this.#settled.get(id) as string] as [string, number, string]),
    };
  }

  load(snapshot: IdempotencySnapshot): void {
    for (const [id, storedAt, fingerprint, response] of snapshot.records) {
      const [tenant, op] = id.split('\u0000', 2) as [string, IdempotentOperation];
      const key = id.slice(tenant.length + op.length + 2);
      const kept = this.#keeper.keep(loadDigest(fingerprint), structuredClone(response));
      this.#keep(tenant, op, key, storedAt, kept);
    }
    for (const [id, at, tenant] of snapshot.settled) this.rememberSettled(id, tenant, at);
  }

  #dropShelf({ tenant, op }: Shelf): void {
    const shelves = this.#shelves.get(tenant);
    if (!shelves) return;
    delete shelves[op];
    if (Object.keys(shelves).length === 0) this.#shelves.delete(tenant);
  }

  #keep(tenant: string, op: IdempotentOperation, key: string, now: number, kept: KeptAnswer): void {
    let shelves = this.#shelves.get(tenant);
    if (!shelves) {
      shelves = {};
      this.#shelves.set(tenant, shelves);
    }
    let shelf = shelves[op];
    if (!shelf) {
      shelf = { tenant, op, records: new Map() };
      shelves[op] = shelf;
    }
    const size = shelf.records.size;
    shelf.records.set(key, kept);
    if (shelf.records.size === size) return; // a new answer under a kept key keeps its place
    this.#times.push(now);
    this.#homes.push(shelf);
    this.#keys.push(key);
  }
}
