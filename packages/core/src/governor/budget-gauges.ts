/**
 * Observable gauges of reserved and remaining amounts, for the budgets a user
 * registers (`governor.observeBudgets`), never the whole ledger. A collection
 * reads each registered scope at most once per `maxAgeMs` (one `balances`
 * query per scope, one in flight at a time, within the balances deadline);
 * in between it reports what it read last. With no registration, or no
 * meter provider, nothing is ever read.
 */
import type { BatchObservableResult, Meter, ObservableGauge } from '@opentelemetry/api';
import type { Authority, BudgetKey } from '../authority.js';
import type { Scheduler } from '../clock.js';
import type { Balance } from '../protocol/types.js';
import { parseScope, subjectOfScope } from '../scopes.js';
import { withDeadline } from './deadline.js';
import { ATTR } from './telemetry.js';

export interface ObserveBudgetsOptions {
  /** Read the ledger at most this often per scope, ms; default 10,000 (0: at every collection). */
  maxAgeMs?: number;
}

interface Registration extends BudgetKey {
  maxAgeMs: number;
}

interface Reading {
  atMs: number;
  balances: Balance[] | undefined;
  pending?: Promise<void> | undefined;
}

export const DEFAULT_BUDGET_MAX_AGE_MS = 10_000;

export class BudgetGauges {
  readonly #meter: Meter;
  readonly #authority: Authority;
  readonly #clock: Scheduler;
  readonly #timeoutMs: number;
  readonly #registrations = new Set<Registration>();
  readonly #readings = new Map<string, Reading>();
  #gauges: { reserved: ObservableGauge; remaining: ObservableGauge } | undefined;
  readonly #callback = (result: BatchObservableResult) => this.#collect(result);

  constructor(meter: Meter, authority: Authority, clock: Scheduler, timeoutMs: number) {
    this.#meter = meter;
    this.#authority = authority;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  /** Report `keys` from now on; the function returned stops reporting them. */
  observe(keys: readonly BudgetKey[], options: ObserveBudgetsOptions = {}): () => void {
    const maxAgeMs = options.maxAgeMs ?? DEFAULT_BUDGET_MAX_AGE_MS;
    const added = keys.map(({ scope, unit }) => {
      parseScope(scope); // a typo is a typed error now, not a gauge that never reports
      return { scope, unit, maxAgeMs };
    });
    for (const registration of added) this.#registrations.add(registration);
    if (!this.#gauges && this.#registrations.size > 0) {
      const unit = '{amount}';
      this.#gauges = {
        reserved: this.#meter.createObservableGauge('governor.budget.reserved', {
          description: 'Amount reserved by live reservations, per registered budget',
          unit,
        }),
        remaining: this.#meter.createObservableGauge('governor.budget.remaining', {
          description: 'allocated − reserved − spent − debt, per registered budget',
          unit,
        }),
      };
      this.#meter.addBatchObservableCallback(this.#callback, [this.#gauges.reserved, this.#gauges.remaining]);
    }
    return () => {
      for (const registration of added) this.#registrations.delete(registration);
      const live = new Set([...this.#registrations].map((r) => r.scope));
      for (const scope of this.#readings.keys()) if (!live.has(scope)) this.#readings.delete(scope);
      if (this.#registrations.size === 0 && this.#gauges) {
        this.#meter.removeBatchObservableCallback(this.#callback, [
          this.#gauges.reserved,
          this.#gauges.remaining,
        ]);
        this.#gauges = undefined;
      }
    };
  }

  async #collect(result: BatchObservableResult): Promise<void> {
    const gauges = this.#gauges;
    if (!gauges) return;
    const maxAge = new Map<string, number>();
    for (const { scope, maxAgeMs } of this.#registrations) {
      maxAge.set(scope, Math.min(maxAge.get(scope) ?? Number.POSITIVE_INFINITY, maxAgeMs));
    }
    await Promise.all([...maxAge].map(([scope, ms]) => this.#fresh(scope, ms)));
    const seen = new Set<string>();
    for (const { scope, unit } of this.#registrations) {
      const id = `${scope} ${unit}`;
      const balance = this.#readings.get(scope)?.balances?.find((b) => b.remaining.unit === unit);
      if (seen.has(id) || !balance) continue;
      seen.add(id);
      const attributes = { [ATTR.scope]: scope, [ATTR.unit]: unit };
      result.observe(gauges.reserved, balance.reserved?.amount ?? 0, attributes);
      result.observe(gauges.remaining, balance.remaining.amount, attributes);
    }
  }

  /** Read `scope` unless the last reading is younger than `maxAgeMs`; one read in flight per scope. */
  #fresh(scope: string, maxAgeMs: number): Promise<void> {
    const known = this.#readings.get(scope);
    if (known?.pending) return known.pending;
    if (known && this.#clock.now() - known.atMs < maxAgeMs) return Promise.resolve();
    const reading: Reading = { atMs: known?.atMs ?? Number.NEGATIVE_INFINITY, balances: known?.balances };
    const read = (balances: Balance[] | undefined) => {
      reading.balances = balances;
      reading.atMs = this.#clock.now();
      reading.pending = undefined;
    };
    const query = this.#authority.balances({ ...subjectOfScope(scope) });
    reading.pending = withDeadline(this.#clock, 'balances', this.#timeoutMs, query).then(
      (response) => read(response.balances.filter((b) => b.scope === scope)),
      () => read(undefined), // unreadable now: report nothing rather than a stale figure
    );
    this.#readings.set(scope, reading);
    return reading.pending;
  }
}
