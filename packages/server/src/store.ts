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
  close?(): Promise<void>;
}

const copy = <T>(v: T): T => structuredClone(v);

/** The identity store of one process, next to a MemoryAuthority. */
export class MemoryIdentityStore implements IdentityStore {
  readonly #tenants = new Map<string, TenantRecord>();
  readonly #keys = new Map<string, ApiKeyRecord>();
  readonly #answers = new Map<string, { value: RememberedAnswer; until: number }>();
  readonly #settings = new Map<string, unknown>();
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
}
