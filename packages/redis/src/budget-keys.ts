/** The budget keys a reservation holds amounts in (stored on its hash; they never change). */
import type { Unit } from '@governor/core';
import { list, type Outcome } from './records.js';
import type { RedisCalls } from './redis-calls.js';
import { embeddedTenant } from './reservation-ids.js';

export class BudgetKeys {
  /** Budget keys of reservations this instance made: saves a read on commit. */
  readonly #made = new Map<string, string[]>();

  constructor(readonly calls: RedisCalls) {}

  /** Remember the keys of reservation `rid`, just made, from its reserve outcome. */
  remember(rid: string, outcome: Outcome, unit: Unit): void {
    const tenant = embeddedTenant(rid);
    if (tenant === undefined) return;
    const keys = list<string>(outcome.a).map((scope) => this.calls.keys.budget(tenant, scope, unit));
    if (this.#made.size >= 100_000) {
      const oldest = this.#made.keys().next().value;
      if (oldest !== undefined) this.#made.delete(oldest);
    }
    this.#made.set(rid, keys);
  }

  forget(rid: string): void {
    this.#made.delete(rid);
  }

  /** The keys of reservation `id` (read from Redis when `fresh`), undefined when it is gone. */
  async of(tenant: string, id: string, fresh: boolean): Promise<string[] | undefined> {
    if (!fresh) {
      const cached = this.#made.get(id);
      if (cached) return cached;
    }
    const { client, keys } = this.calls;
    const raw = await this.calls.redis(() => client.hget(keys.reservation(tenant, id), 'budgetKeys'));
    if (!raw) return undefined;
    return JSON.parse(raw) as string[];
  }
}
