/** The expiry sweep: due reservations of a tenant become EXPIRED, their amounts return to the budgets. */
import { InternalError } from '@governor/core';
import type { BudgetKeys } from './budget-keys.js';
import type { Outcome } from './records.js';
import type { RedisCalls } from './redis-calls.js';

export class ExpirySweep {
  readonly #running = new Map<string, Promise<number>>();

  constructor(
    readonly calls: RedisCalls,
    readonly budgetKeys: BudgetKeys,
    readonly rsvRetention: number,
  ) {}

  /** Run `fn`; while a script reports due expiries first, sweep the tenant and run it again. */
  async around(tenant: string, fn: () => Promise<Outcome>): Promise<Outcome> {
    for (let attempt = 0; ; attempt++) {
      const out = await fn();
      if (out.k !== 'sweep') return out;
      if (attempt >= 100) throw new InternalError('expiry sweep did not settle');
      await this.tenant(tenant);
    }
  }

  /** Expire every due reservation of `tenant`; safe to run concurrently from many instances. */
  tenant(tenant: string): Promise<number> {
    const running = this.#running.get(tenant);
    if (running) return running;
    const run = this.#once(tenant).finally(() => this.#running.delete(tenant));
    this.#running.set(tenant, run);
    return run;
  }

  async #once(tenant: string): Promise<number> {
    const { keys } = this.calls;
    let expired = 0;
    for (;;) {
      const now = await this.calls.now();
      const due = await this.calls.due(tenant, now, 100);
      for (const id of due) {
        const bkeys = await this.budgetKeys.of(tenant, id, true);
        if (!bkeys) {
          await this.calls.redis(() => this.calls.client.zrem(keys.expiry(tenant), id));
          continue;
        }
        const done = await this.calls.expire(
          tenant,
          [
            keys.reservation(tenant, id),
            keys.expiry(tenant),
            keys.finalized(tenant),
            keys.reservationIndex(tenant),
            ...bkeys,
          ],
          [now, id, this.rsvRetention],
        );
        if (done) {
          expired += 1;
          this.budgetKeys.forget(id);
        }
      }
      if (due.length < 100) return expired;
    }
  }
}
