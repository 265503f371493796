/**
 * The parts of a reservation's detail that repeat from one call to the next —
 * its subject, action, scope path and affected scopes — shared between the
 * reservations that have them alike instead of a copy each (the embedded
 * ledger keeps up to 20,000 settled reservations). Shared parts are never
 * changed in place, and every reader gets a structured clone of a detail.
 */
import type { ReservationDetail } from '../protocol/messages.js';

type Parts = Pick<ReservationDetail, 'subject' | 'action' | 'scopePath' | 'affectedScopes'>;

/** Equal as JSON, key order included (small plain values: a subject, an action, scopes). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  const others = Object.keys(y);
  if (keys.length !== others.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (k !== others[i] || !same(x[k], y[k])) return false;
  }
  return true;
}

export class SharedParts {
  /** The parts last seen per scope path. */
  #byPath = new Map<string, Parts>();

  /** Point `detail` at the parts already kept where they are alike; keep its own otherwise. */
  share(detail: ReservationDetail): void {
    const known = this.#byPath.get(detail.scopePath);
    if (!known) {
      if (this.#byPath.size >= 4096) this.#byPath.clear();
      const { subject, action, scopePath, affectedScopes } = detail;
      this.#byPath.set(scopePath, { subject, action, scopePath, affectedScopes });
      return;
    }
    detail.scopePath = known.scopePath;
    if (same(known.subject, detail.subject)) detail.subject = known.subject;
    else known.subject = detail.subject;
    if (same(known.action, detail.action)) detail.action = known.action;
    else known.action = detail.action;
    if (same(known.affectedScopes, detail.affectedScopes)) detail.affectedScopes = known.affectedScopes;
    else known.affectedScopes = detail.affectedScopes;
  }
}
