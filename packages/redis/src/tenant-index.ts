/**
 * Which tenants have state (the tenant index, for listings and the sweep),
 * and which tenant a reservation belongs to.
 */
import type { RedisCalls } from './redis-calls.js';
import { embeddedTenant, isLongTenantId } from './reservation-ids.js';

export class TenantIndex {
  /** Tenants this instance has registered in the tenant index already. */
  readonly #known = new Set<string>();

  /** `retentionMs`: how long a reservation and its answers stay after it ends (both retentions). */
  constructor(
    readonly calls: RedisCalls,
    readonly retentionMs: number,
  ) {}

  /** Every tenant in the index, sorted. */
  async all(): Promise<string[]> {
    const { client, keys } = this.calls;
    return (await this.calls.redis(() => client.smembers(keys.tenants()))).sort();
  }

  /** Add `tenant` to the index. */
  async add(tenant: string): Promise<void> {
    const { client, keys } = this.calls;
    await this.calls.redis(() => client.sadd(keys.tenants(), tenant));
  }

  /** Add `tenant` to the index, once per instance. */
  async register(tenant: string): Promise<void> {
    if (this.#known.has(tenant)) return;
    await this.add(tenant);
    if (this.#known.size >= 10_000) this.#known.clear();
    this.#known.add(tenant);
  }

  /**
   * Add `tenant` to the tenant index when a template gives one of the call's
   * scopes a budget (the call will create it). A call no template matches
   * creates nothing, and so registers nothing: a NOT_FOUND leaves no trace.
   */
  async registerIfTemplated(tenant: string, templates: string[]): Promise<void> {
    if (templates.some((t) => t !== '')) await this.register(tenant);
  }

  /** The tenant of reservation `id`, undefined when it is unknown. */
  async ofReservation(id: string): Promise<string | undefined> {
    const embedded = embeddedTenant(id);
    if (embedded !== undefined) return embedded;
    if (!isLongTenantId(id)) return undefined;
    const { client, keys } = this.calls;
    return (await this.calls.redis(() => client.get(keys.reservationTenant(id)))) ?? undefined;
  }

  /**
   * For a tenant too long to embed in the id: the id → tenant lookup key,
   * kept `liveMs` (what is left of the reservation's life) past now plus the
   * reservation's retention and the idempotency window, so every replay finds it.
   */
  async keepFor(id: string, tenant: string, liveMs: number): Promise<void> {
    if (!isLongTenantId(id)) return;
    const px = Math.max(0, liveMs) + 60_000 + this.retentionMs;
    const { client, keys } = this.calls;
    await this.calls.redis(() => client.set(keys.reservationTenant(id), tenant, 'PX', px));
  }
}
