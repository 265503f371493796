/**
 * A MemoryAuthority's whole state as plain, structured-cloneable data:
 * `ledger.snapshot()` and `MemoryAuthority.restore(snapshot, options)`. What a
 * restart of the embedded ledger keeps when the application saves its state
 * (to a file, between test steps): budgets, templates, the degradation policy,
 * reservations live and settled, and every idempotency record, so replays after
 * a restore answer as before. Options (clock, limits) are not part of it.
 */
import type { Approval } from '../approvals/types.js';
import type { AuditSnapshot } from '../audit/memory-audit.js';
import type { BudgetTemplate, DegradationPolicy } from '../authority.js';
import type { BudgetState } from '../ledger/rules.js';
import type { ReservationDetail } from '../protocol/messages.js';
import type { OveragePolicy } from '../protocol/types.js';
import type { IdempotencySnapshot } from './idempotency-store.js';

export const SNAPSHOT_VERSION = 1;

export interface ReservationSnapshot {
  detail: ReservationDetail;
  gracePeriodMs: number;
  overagePolicy: OveragePolicy;
  extensions: number;
  /** What its approval raised each of its budgets by (aligned with `detail.affectedScopes`), while ACTIVE. */
  raised?: number[];
}

export interface MemorySnapshot {
  version: typeof SNAPSHOT_VERSION;
  budgets: BudgetState[];
  templates: BudgetTemplate[];
  degradation: DegradationPolicy | undefined;
  /** Every reservation kept, in creation order. */
  reservations: ReservationSnapshot[];
  /** Settled reservations by when they left ACTIVE, oldest first (for retention). */
  finalized: [at: number, reservationId: string][];
  idempotency: IdempotencySnapshot;
  /** The audit trail, when the ledger keeps one. */
  audit?: AuditSnapshot;
  /** Approvals asked for and decided. */
  approvals?: Approval[];
}

/** A deep copy of `snapshot`, after checking it is one this version reads. */
export function readSnapshot(snapshot: MemorySnapshot): MemorySnapshot {
  if (snapshot?.version !== SNAPSHOT_VERSION) {
    throw new RangeError(
      `MemoryAuthority.restore: snapshot version ${snapshot?.version}; this version reads ${SNAPSHOT_VERSION}`,
    );
  }
  return structuredClone(snapshot);
}
