/**
 * The identity store: tenants, API keys, and the answers of idempotent admin
 * operations. Small on purpose — one interface, one implementation per ledger:
 * `MemoryIdentityStore` next to a MemoryAuthority, `RedisIdentityStore` next
 * to a RedisAuthority (so every server instance on one Redis sees the same
 * tenants and keys, and a revocation is seen by all of them on the next
 * request).
 */

export type TenantStatus = 'ACTIVE' | 'SUSPENDED' | 'CLOSED';
export type ApiKeyStatus = 'ACTIVE' | 'REVOKED';

export interface TenantRecord {
  tenantId: string;
  name?: string;
  status: TenantStatus;
  createdAtMs: number;
  updatedAtMs: number;
}

/** An API key as stored: never the secret, only its salted keyed hash. */
export interface ApiKeyRecord {
  keyId: string;
  tenantId: string;
  name?: string;
  status: ApiKeyStatus;
  createdAtMs: number;
  revokedAtMs?: number;
  /** Per-key random salt (hex), the key of the HMAC. */
  salt: string;
  /** HMAC-SHA256(salt, secret), hex. */
  hash: string;
}

/** A remembered answer of an idempotent admin operation. */
export interface RememberedAnswer {
  fingerprint: string;
  answer: unknown;
}

/** A webhook subscription: what it is (fixed at creation) and where its delivery stands. */
export interface WebhookRecord extends WebhookState {
  webhookId: string;
  tenantId: string;
  url: string;
  eventTypes: string[];
  /** Utilisation thresholds (percent) of `budget.threshold`. */
  thresholds: number[];
  /** The HMAC key of the signatures (shown once, at creation). */
  secret: string;
  description?: string;
  createdAtMs: number;
}

/** What the delivery worker (and re-enabling) changes. */
export interface WebhookState {
  enabled: boolean;
  /** Failed attempts since the last success. */
  consecutiveFailures: number;
  /** Audit cursor (of the subscription's tenant) after the last record delivered. */
  cursor?: string;
  /** The event being retried: its id, the attempts made, and when the next may start. */
  retry?: { eventId: string; attempts: number; notBeforeMs: number };
  disabledAtMs?: number;
  disabledReason?: string;
}

/** A change of a webhook's state; `null` clears an optional field. */
export type WebhookStatePatch = { [K in keyof WebhookState]?: WebhookState[K] | null };

/** One delivery attempt, as the delivery log keeps it. */
export interface DeliveryRecord {
  eventId: string;
  type: string;
  attempt: number;
  atMs: number;
  durationMs: number;
  ok: boolean;
  statusCode?: number;
  error?: string;
}

export interface IdentityStore {
  /** Create a tenant; resolves false when one with this id exists (nothing changes). */
  createTenant(record: TenantRecord): Promise<boolean>;
  getTenant(tenantId: string): Promise<TenantRecord | undefined>;
  listTenants(): Promise<TenantRecord[]>;
  setTenantStatus(tenantId: string, status: TenantStatus, atMs: number): Promise<TenantRecord | undefined>;
  createKey(record: ApiKeyRecord): Promise<void>;
  getKey(keyId: string): Promise<ApiKeyRecord | undefined>;
  listKeys(tenantId: string): Promise<ApiKeyRecord[]>;
  revokeKey(keyId: string, atMs: number): Promise<ApiKeyRecord | undefined>;
  /** The answer remembered for (operation, key), if any. */
  recall(operation: string, key: string): Promise<RememberedAnswer | undefined>;
  /** Remember an answer for (operation, key) for `ttlMs`. */
  remember(operation: string, key: string, value: RememberedAnswer, ttlMs: number): Promise<void>;
  /** Free-form server settings (the risk-point table of the policy). */
  getSetting(name: string): Promise<unknown>;
  setSetting(name: string, value: unknown): Promise<void>;
  createWebhook(record: WebhookRecord): Promise<void>;
  getWebhook(webhookId: string): Promise<WebhookRecord | undefined>;
  /** One tenant's webhooks, or every tenant's (oldest first). */
  listWebhooks(tenantId?: string): Promise<WebhookRecord[]>;
  /** Change a webhook's state; undefined (and nothing written) when it does not exist. */
  updateWebhook(webhookId: string, patch: WebhookStatePatch): Promise<WebhookRecord | undefined>;
  /** Delete a webhook and its delivery log; false when there was none. */
  deleteWebhook(webhookId: string): Promise<boolean>;
  /** Add to a webhook's delivery log, keeping its newest `keep` entries. */
  appendDelivery(webhookId: string, entry: DeliveryRecord, keep: number): Promise<void>;
  /** The newest `limit` entries of a webhook's delivery log, newest first. */
  listDeliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]>;
  /** Take or renew the lease `name` for `owner` for `ttlMs`; false when another owner holds it. */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Give the lease up, if `owner` holds it. */
  releaseLease(name: string, owner: string): Promise<void>;
  close?(): Promise<void>;
}

/** `record` with `patch` applied (null clears). */
export function patchWebhook(record: WebhookRecord, patch: WebhookStatePatch): WebhookRecord {
  const next: Record<string, unknown> = { ...record };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete next[k];
    else if (v !== undefined) next[k] = v;
  }
  return next as unknown as WebhookRecord;
}

/** Webhooks oldest first. */
export const webhookOrder = (a: WebhookRecord, b: WebhookRecord) =>
  a.createdAtMs - b.createdAtMs || a.webhookId.localeCompare(b.webhookId);

const copy = <T>(v: T): T => structuredClone(v);

/** The identity store of one process, next to a MemoryAuthority. */
export class MemoryIdentityStore implements IdentityStore {
  readonly #tenants = new Map<string, TenantRecord>();
  readonly #keys = new Map<string, ApiKeyRecord>();
  readonly #answers = new Map<string, { value: RememberedAnswer; until: number }>();
  readonly #settings = new Map<string, unknown>();
  readonly #webhooks = new Map<string, WebhookRecord>();
  readonly #deliveries = new Map<string, DeliveryRecord[]>();
  readonly #leases = new Map<string, { owner: string; until: number }>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async createTenant(record: TenantRecord): Promise<boolean> {
    if (this.#tenants.has(record.tenantId)) return false;
    this.#tenants.set(record.tenantId, copy(record));
    return true;
  }
  async getTenant(tenantId: string) {
    const t = this.#tenants.get(tenantId);
    return t && copy(t);
  }
  async listTenants() {
    return [...this.#tenants.values()].map(copy).sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  }
  async setTenantStatus(tenantId: string, status: TenantStatus, atMs: number) {
    const t = this.#tenants.get(tenantId);
    if (!t) return undefined;
    t.status = status;
    t.updatedAtMs = atMs;
    return copy(t);
  }
  async createKey(record: ApiKeyRecord) {
    this.#keys.set(record.keyId, copy(record));
  }
  async getKey(keyId: string) {
    const k = this.#keys.get(keyId);
    return k && copy(k);
  }
  async listKeys(tenantId: string) {
    return [...this.#keys.values()]
      .filter((k) => k.tenantId === tenantId)
      .map(copy)
      .sort((a, b) => a.createdAtMs - b.createdAtMs || a.keyId.localeCompare(b.keyId));
  }
  async revokeKey(keyId: string, atMs: number) {
    const k = this.#keys.get(keyId);
    if (!k) return undefined;
    if (k.status !== 'REVOKED') {
      k.status = 'REVOKED';
      k.revokedAtMs = atMs;
    }
    return copy(k);
  }
  async recall(operation: string, key: string) {
    const id = `${operation}\n${key}`;
    const hit = this.#answers.get(id);
    if (!hit) return undefined;
    if (hit.until <= this.#now()) {
      this.#answers.delete(id);
      return undefined;
    }
    return copy(hit.value);
  }
  async remember(operation: string, key: string, value: RememberedAnswer, ttlMs: number) {
    this.#answers.set(`${operation}\n${key}`, { value: copy(value), until: this.#now() + ttlMs });
  }
  async getSetting(name: string) {
    return copy(this.#settings.get(name));
  }
  async setSetting(name: string, value: unknown) {
    this.#settings.set(name, copy(value));
  }
  async createWebhook(record: WebhookRecord) {
    this.#webhooks.set(record.webhookId, copy(record));
  }
  async getWebhook(webhookId: string) {
    const w = this.#webhooks.get(webhookId);
    return w && copy(w);
  }
  async listWebhooks(tenantId?: string) {
    return [...this.#webhooks.values()]
      .filter((w) => tenantId === undefined || w.tenantId === tenantId)
      .map(copy)
      .sort(webhookOrder);
  }
  async updateWebhook(webhookId: string, patch: WebhookStatePatch) {
    const w = this.#webhooks.get(webhookId);
    if (!w) return undefined;
    const next = patchWebhook(w, copy(patch));
    this.#webhooks.set(webhookId, next);
    return copy(next);
  }
  async deleteWebhook(webhookId: string) {
    this.#deliveries.delete(webhookId);
    return this.#webhooks.delete(webhookId);
  }
  async appendDelivery(webhookId: string, entry: DeliveryRecord, keep: number) {
    const log = this.#deliveries.get(webhookId) ?? [];
    log.unshift(copy(entry));
    log.length = Math.min(log.length, keep);
    this.#deliveries.set(webhookId, log);
  }
  async listDeliveries(webhookId: string, limit: number) {
    return (this.#deliveries.get(webhookId) ?? []).slice(0, limit).map(copy);
  }
  async acquireLease(name: string, owner: string, ttlMs: number) {
    const held = this.#leases.get(name);
    const now = Date.now();
    if (held && held.owner !== owner && held.until > now) return false;
    this.#leases.set(name, { owner, until: now + ttlMs });
    return true;
  }
  async releaseLease(name: string, owner: string) {
    if (this.#leases.get(name)?.owner === owner) this.#leases.delete(name);
  }
}
