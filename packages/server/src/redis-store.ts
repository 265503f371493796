/**
 * The identity store on Redis, next to a RedisAuthority: every key under one
 * hash tag (`<prefix>{governor-identity}:…`), so the store stays legal on a
 * Redis Cluster. Records are JSON strings; each read goes to Redis, so a
 * revoked key or a closed tenant is refused by every instance on its next
 * request.
 */
import type { Cluster, Redis } from 'ioredis';
import {
  type ApiKeyRecord,
  type DeliveryRecord,
  type IdentityStore,
  type RememberedAnswer,
  type TenantRecord,
  type TenantStatus,
  type WebhookRecord,
  type WebhookState,
  type WebhookStatePatch,
  webhookOrder,
} from './store.js';

/** The fields of a webhook's hash that change; the rest is the `config` field, written once. */
const STATE_FIELDS = [
  'enabled',
  'consecutiveFailures',
  'cursor',
  'retry',
  'disabledAtMs',
  'disabledReason',
] as const satisfies readonly (keyof WebhookState)[];

/** Set (or, for an empty value, delete) hash fields — only when the hash exists. */
const PATCH_IF_EXISTS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 1, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i]) else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 1`;

/** Take the lease when free, renew it when ours. */
const ACQUIRE_LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

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

  // Webhooks: a hash per webhook (`config`: the fixed part as JSON; one JSON field per state
  // field, so the worker's and an operator's changes never overwrite each other), a set of
  // every webhook and one per tenant, and a capped list as the delivery log.

  async createWebhook(record: WebhookRecord) {
    const config: Record<string, unknown> = { ...record };
    const fields: string[] = [];
    for (const f of STATE_FIELDS) {
      if (record[f] !== undefined) fields.push(f, JSON.stringify(record[f]));
      delete config[f];
    }
    await this.#client
      .multi()
      .hset(this.#k('webhook', record.webhookId), 'config', JSON.stringify(config), ...fields)
      .sadd(this.#k('webhooks'), record.webhookId)
      .sadd(this.#k('webhooks', record.tenantId), record.webhookId)
      .exec();
  }

  async getWebhook(webhookId: string): Promise<WebhookRecord | undefined> {
    return webhookOf(await this.#client.hgetall(this.#k('webhook', webhookId)));
  }

  async listWebhooks(tenantId?: string): Promise<WebhookRecord[]> {
    const set = tenantId === undefined ? this.#k('webhooks') : this.#k('webhooks', tenantId);
    const ids = await this.#client.smembers(set);
    if (ids.length === 0) return [];
    const pipeline = this.#client.pipeline();
    for (const id of ids) pipeline.hgetall(this.#k('webhook', id));
    const replies = (await pipeline.exec()) ?? [];
    return replies
      .map(([, hash]) => webhookOf(hash as Record<string, string>))
      .filter((w): w is WebhookRecord => w !== undefined)
      .sort(webhookOrder);
  }

  async updateWebhook(webhookId: string, patch: WebhookStatePatch) {
    const args: string[] = [];
    for (const [k, v] of Object.entries(patch)) {
      if (v !== undefined) args.push(k, v === null ? '' : JSON.stringify(v));
    }
    const ok = await this.#client.eval(PATCH_IF_EXISTS, 1, this.#k('webhook', webhookId), ...args);
    return ok === 1 ? this.getWebhook(webhookId) : undefined;
  }

  async deleteWebhook(webhookId: string) {
    const w = await this.getWebhook(webhookId);
    if (!w) return false;
    await this.#client
      .multi()
      .del(this.#k('webhook', webhookId), this.#k('deliveries', webhookId))
      .srem(this.#k('webhooks'), webhookId)
      .srem(this.#k('webhooks', w.tenantId), webhookId)
      .exec();
    return true;
  }

  async appendDelivery(webhookId: string, entry: DeliveryRecord, keep: number) {
    const key = this.#k('deliveries', webhookId);
    await this.#client
      .multi()
      .lpush(key, JSON.stringify(entry))
      .ltrim(key, 0, keep - 1)
      .exec();
  }

  async listDeliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]> {
    const texts = await this.#client.lrange(this.#k('deliveries', webhookId), 0, limit - 1);
    return texts.map((t) => JSON.parse(t) as DeliveryRecord);
  }

  async acquireLease(name: string, owner: string, ttlMs: number) {
    return (await this.#client.eval(ACQUIRE_LEASE, 1, this.#k('lease', name), owner, ttlMs)) === 1;
  }

  async releaseLease(name: string, owner: string) {
    await this.#client.eval(RELEASE_LEASE, 1, this.#k('lease', name), owner);
  }

  /** Every key of this store (tests clean up with it). */
  get keyPattern(): string {
    return `${this.#base}*`;
  }
}

function webhookOf(hash: Record<string, string>): WebhookRecord | undefined {
  if (!hash.config) return undefined;
  const record: Record<string, unknown> = JSON.parse(hash.config);
  for (const f of STATE_FIELDS) if (hash[f] !== undefined) record[f] = JSON.parse(hash[f]);
  return record as unknown as WebhookRecord;
}
