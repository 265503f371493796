/**
 * The key layout. Every key of one tenant carries the hash tag `{tenant}`, so
 * a script touching several of them stays on one Redis Cluster slot; the
 * configuration keys share the tag `{config}`. See the README for the table.
 */
import type { Unit } from '@governor/core';

export type IdempotentOperation = 'reserve' | 'commit' | 'release' | 'extend' | 'decide' | 'event';

export class KeySpace {
  constructor(readonly prefix: string) {
    if (/[{}]/.test(prefix)) throw new RangeError(`key prefix "${prefix}" must not contain { or }`);
  }

  tag(tenant: string): string {
    return `${this.prefix}{${tenant}}`;
  }
  budget(tenant: string, scope: string, unit: Unit): string {
    return `${this.tag(tenant)}:b:${unit}:${scope}`;
  }
  budgetIndex(tenant: string): string {
    return `${this.tag(tenant)}:budgets`;
  }
  reservation(tenant: string, id: string): string {
    return `${this.tag(tenant)}:r:${id}`;
  }
  reservationIndex(tenant: string): string {
    return `${this.tag(tenant)}:rsv`;
  }
  expiry(tenant: string): string {
    return `${this.tag(tenant)}:exp`;
  }
  finalized(tenant: string): string {
    return `${this.tag(tenant)}:fin`;
  }
  idempotency(tenant: string, op: IdempotentOperation, key: string): string {
    return `${this.tag(tenant)}:i:${op}:${key}`;
  }
  /** The rate-limit window of one budget (a sorted set of allowed reservations by time). */
  rateWindow(tenant: string, scope: string, unit: Unit): string {
    return `${this.tag(tenant)}:w:${unit}:${scope}`;
  }
  /** The loop breaker's window of one (run scope, action, arguments hash); `''`: a placeholder. */
  loopWindow(tenant: string, key: string): string {
    return `${this.tag(tenant)}:l:${key}`;
  }
  /** One approval (a hash); `''`: a placeholder. */
  approval(tenant: string, id: string): string {
    return `${this.tag(tenant)}:a:${id}`;
  }
  /** A call's approval key → its latest approval id (the key hashed). */
  approvalKey(tenant: string, keyHash: string): string {
    return `${this.tag(tenant)}:ak:${keyHash}`;
  }
  /** The tenant's approvals by creation time (a sorted set). */
  approvals(tenant: string): string {
    return `${this.tag(tenant)}:approvals`;
  }
  /** Reservation id → tenant, only for tenants too long to embed in the id. */
  reservationTenant(id: string): string {
    return `${this.prefix}:rt:${id}`;
  }
  tenants(): string {
    return `${this.prefix}:tenants`;
  }
  templates(): string {
    return `${this.prefix}{config}:templates`;
  }
  degradation(): string {
    return `${this.prefix}{config}:degradation`;
  }
  /** Test clock (absolute ms), only with the testClock option. */
  clock(): string {
    return `${this.prefix}{config}:clock`;
  }
  /** The audit trail of `tenant` (a Stream) and its head (last hash, count); `*`: the configuration's. */
  audit(tenant: string): string {
    return `${tenant === '*' ? `${this.prefix}{config}` : this.tag(tenant)}:audit`;
  }
  auditHead(tenant: string): string {
    return `${tenant === '*' ? `${this.prefix}{config}` : this.tag(tenant)}:audit-head`;
  }
  /** Every key under this prefix (for cleanup in tests). */
  pattern(): string {
    return `${this.prefix}*`;
  }
}
