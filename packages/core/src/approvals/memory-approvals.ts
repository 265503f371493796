/**
 * Approvals of a ledger that keeps its state in JavaScript (MemoryAuthority):
 * by tenant and id, the latest per key, decided by the ledger's clock.
 */
import { NotFoundError } from '../errors.js';
import {
  APPROVAL_RETENTION_MS,
  admits,
  applyDecision,
  approvalAt,
  isClosed,
  markUsed,
  newApproval,
  newApprovalId,
} from './rules.js';
import type { Approval, ApprovalDecision, ApprovalQuery, ApprovalRequest } from './types.js';

export class MemoryApprovals {
  readonly #byId = new Map<string, Approval>();
  /** tenant \0 key → the latest approval id for that key. */
  readonly #byKey = new Map<string, string>();
  #requests = 0;

  /** The open approval for the key, or a new one (`created` says which). */
  request(req: ApprovalRequest, now: number): { approval: Approval; created: boolean } {
    if (++this.#requests % 256 === 0) this.prune(now);
    const latest = this.find(req.subject.tenant, req.key);
    if (latest && !isClosed(latest, now)) return { approval: approvalAt(latest, now), created: false };
    const a = newApproval(newApprovalId(), req, now);
    this.#byId.set(a.approvalId, a);
    this.#byKey.set(`${a.tenant}\u0000${a.key}`, a.approvalId);
    return { approval: approvalAt(a, now), created: true };
  }

  find(tenant: string, key: string): Approval | undefined {
    const id = this.#byKey.get(`${tenant}\u0000${key}`);
    return id === undefined ? undefined : this.#byId.get(id);
  }

  get(tenant: string, id: string): Approval {
    const a = this.#byId.get(id);
    if (!a || a.tenant !== tenant) throw new NotFoundError(`Approval ${id} not found in tenant ${tenant}`);
    return a;
  }

  list(query: ApprovalQuery, now: number): Approval[] {
    const out: Approval[] = [];
    for (const a of this.#byId.values()) {
      if (query.tenant !== undefined && a.tenant !== query.tenant) continue;
      const seen = approvalAt(a, now);
      if (query.status === undefined || seen.status === query.status) out.push(seen);
    }
    out.sort((x, y) => y.createdAtMs - x.createdAtMs || (x.approvalId < y.approvalId ? -1 : 1));
    return out.slice(0, query.limit ?? 100);
  }

  decide(d: ApprovalDecision, actor: string, now: number): Approval {
    return approvalAt(applyDecision(this.get(d.tenant, d.approvalId), d, actor, now), now);
  }

  /** The approval `id` if it admits this reserve now; the caller then marks it used. */
  usable(
    id: string | undefined,
    req: Parameters<typeof admits>[1],
    now: number,
  ): { approval: Approval; use(reservationId: string): void } | undefined {
    const a = id === undefined ? undefined : this.#byId.get(id);
    if (!admits(a, req, now)) return undefined;
    return { approval: a, use: (reservationId) => markUsed(a, reservationId, now) };
  }

  /** Drop approvals a day past their deadline or their use (see APPROVAL_RETENTION_MS). */
  prune(now: number): void {
    for (const [id, a] of this.#byId) {
      if ((a.usedAtMs ?? a.expiresAtMs) + APPROVAL_RETENTION_MS > now) continue;
      this.#byId.delete(id);
      const key = `${a.tenant}\u0000${a.key}`;
      if (this.#byKey.get(key) === id) this.#byKey.delete(key);
    }
  }

  snapshot(): Approval[] {
    return structuredClone([...this.#byId.values()]);
  }

  load(approvals: readonly Approval[]): void {
    for (const a of structuredClone(approvals)) {
      this.#byId.set(a.approvalId, a);
      this.#byKey.set(`${a.tenant}\u0000${a.key}`, a.approvalId);
    }
  }
}
