/**
 * The identity store on Redis, next to a RedisAuthority: every key under one
 * hash tag (`<prefix>{governor-identity}:…`), so the store stays legal on a
 * Redis Cluster. Records are JSON strings; each read goes to Redis, so a
 * revoked key or a closed tenant is refused by every instance on its next
 * request.
 */
import type { Cluster, Redis } from 'ioredis';
import type { ApiKeyRecord, IdentityStore, RememberedAnswer, TenantRecord, TenantStatus } from './store.js';

export interface RedisIdentityStoreOptions {
  client: Redis | Cluster;
  /** Key prefix, e.g. the RedisAuthority's; default `governor`. */
  keyPrefix?: string;
}

export class RedisIdentityStore implements IdentityStore {
  readonly #client: Redis | Cluster;
  readonly #base: string;

  constructor(options: RedisIdentityStoreOptions) {
    this.#client = options.client;
    this.#base = `${options.keyPrefix ?? 'governor'}{governor-identity}:`;
  }

  #k(...parts: string[]) {
    return this.#base + parts.join(':');
  }

  async #json<T>(key: string): Promise<T | undefined> {
    const text = await this.#client.get(key);
    return text === null ? undefined : (JSON.parse(text) as T);
  }

  async createTenant(record: TenantRecord): Promise<boolean> {
    const ok = await this.#client.set(this.#k('tenant', record.tenantId), JSON.stringify(record), 'NX');
    if (ok !== 'OK') return false;
    await this.#client.sadd(this.#k('tenants'), record.tenantId);
    return true;
  }

  getTenant(tenantId: string) {
    return this.#json<TenantRecord>(this.#k('tenant', tenantId));
  }

  async listTenants(): Promise<TenantRecord[]> {
    const ids = (await this.#client.smembers(this.#k('tenants'))).sort();
    if (ids.length === 0) return [];
    const texts = await this.#client.mget(...ids.map((id) => this.#k('tenant', id)));
    return texts.filter((t): t is string => t !== null).map((t) => JSON.parse(t) as TenantRecord);
  }

  async setTenantStatus(tenantId: string, status: TenantStatus, atMs: number) {
    const t = await this.getTenant(tenantId);
    if (!t) return undefined;
    const next = { ...t, status, updatedAtMs: atMs };
    await this.#client.set(this.#k('tenant', tenantId), JSON.stringify(next));
    return next;
  }

  async createKey(record: ApiKeyRecord) {
    await this.#client.set(this.#k('key', record.keyId), JSON.stringify(record));
    await this.#client.sadd(this.#k('keys', record.tenantId), record.keyId);
  }

  getKey(keyId: string) {
    return this.#json<ApiKeyRecord>(this.#k('key', keyId));
  }

  async listKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    const ids = await this.#client.smembers(this.#k('keys', tenantId));
    if (ids.length === 0) return [];
    const texts = await this.#client.mget(...ids.map((id) => this.#k('key', id)));
    return texts
      .filter((t): t is string => t !== null)
      .map((t) => JSON.parse(t) as ApiKeyRecord)
      .sort((a, b) => a.createdAtMs - b.createdAtMs || a.keyId.localeCompare(b.keyId));
  }

  async revokeKey(keyId: string, atMs: number) {
    const k = await this.getKey(keyId);
    if (!k) return undefined;
    if (k.status === 'REVOKED') return k;
    const next: ApiKeyRecord = { ...k, status: 'REVOKED', revokedAtMs: atMs };
    await this.#client.set(this.#k('key', keyId), JSON.stringify(next));
    return next;
  }

  recall(operation: string, key: string) {
    return this.#json<RememberedAnswer>(this.#k('answer', operation, key));
  }

  async remember(operation: string, key: string, value: RememberedAnswer, ttlMs: number) {
    await this.#client.set(this.#k('answer', operation, key), JSON.stringify(value), 'PX', ttlMs);
  }

  getSetting(name: string) {
    return this.#json<unknown>(this.#k('setting', name));
  }

  async setSetting(name: string, value: unknown) {
    await this.#client.set(this.#k('setting', name), JSON.stringify(value));
  }

  /** Every key of this store (tests clean up with it). */
  get keyPattern(): string {
    return `${this.#base}*`;
  }
}
