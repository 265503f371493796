/**
 * The approval rules every ledger applies (RedisAuthority in Lua, the same
 * rules): lifecycle by the ledger's clock, what a reserve may use, and how an
 * approved call is admitted — the budgets that would deny it are raised by
 * exactly what it lacks, so the ledger's invariants hold and the trail shows
 * the raise as the reserve's allocated delta — and what of the raise the call
 * did not use is given back when it settles (the settlement's allocated delta).
 */
import { randomUUID } from 'node:crypto';
import { InvalidRequestError } from '../errors.js';
import { type BudgetState, remainingOf } from '../ledger/rules.js';
import type { Metadata, Subject } from '../protocol/types.js';
import { scopePathOf } from '../scopes.js';
import {
  APPROVAL_METADATA_KEY,
  type Approval,
  type ApprovalDecision,
  type ApprovalRequest,
} from './types.js';

export const newApprovalId = (): string => `apr_${randomUUID()}`;

/** How long an approval is kept after its deadline (or its use): then it is dropped. */
export const APPROVAL_RETENTION_MS = 86_400_000;

export function newApproval(id: string, req: ApprovalRequest, now: number): Approval {
  const a: Approval = {
    approvalId: id,
    tenant: req.subject.tenant,
    key: req.key,
    status: 'PENDING',
    subject: req.subject,
    scopePath: scopePathOf(req.subject),
    action: req.action,
    estimate: req.estimate,
    reasonCode: req.reasonCode,
    ttlMs: req.ttlMs,
    createdAtMs: now,
    expiresAtMs: now + req.ttlMs,
  };
  if (req.blockedScope) a.blockedScope = req.blockedScope;
  return a;
}

/** The approval as it stands at `now` (a copy): PENDING or APPROVED past its deadline reads EXPIRED. */
export function approvalAt(a: Approval, now: number): Approval {
  const open = a.status === 'PENDING' || a.status === 'APPROVED';
  return open && now >= a.expiresAtMs ? { ...a, status: 'EXPIRED' } : { ...a };
}

/** A request for this key makes a new approval (the latest one is used or expired). */
export const isClosed = (a: Approval, now: number): boolean => {
  const status = approvalAt(a, now).status;
  return status === 'USED' || status === 'EXPIRED';
};

/** Apply an operator's decision to a PENDING approval (in place); INVALID_REQUEST otherwise. */
export function applyDecision(a: Approval, d: ApprovalDecision, actor: string, now: number): Approval {
  const status = approvalAt(a, now).status;
  const wanted = d.decision === 'APPROVE' ? 'APPROVED' : 'REJECTED';
  if (status === wanted && a.decidedBy === actor) return a; // the same decision again: a retry
  if (status !== 'PENDING') {
    throw new InvalidRequestError(
      `approval ${a.approvalId} is ${status}, not PENDING: it can no longer be ${d.decision === 'APPROVE' ? 'approved' : 'rejected'}`,
      { approval_id: a.approvalId, status },
    );
  }
  a.status = wanted;
  a.decidedAtMs = now;
  a.decidedBy = actor;
  if (d.note) a.note = d.note;
  if (wanted === 'APPROVED') a.expiresAtMs = now + a.ttlMs;
  return a;
}

/** The approval id a reserve's metadata carries, if any (an `apr_…` id, else ignored). */
export function approvalIdOf(metadata: Metadata | undefined): string | undefined {
  const id = metadata?.[APPROVAL_METADATA_KEY];
  return typeof id === 'string' && APPROVAL_ID.test(id) ? id : undefined;
}

/** The form of an approval id. */
export const APPROVAL_ID = /^apr_[A-Za-z0-9-]{1,64}$/;

/**
 * Whether `a` admits this reserve: APPROVED and not expired at `now`, for the
 * same scope path and action, in the same unit, for at most its estimate.
 */
export function admits(
  a: Approval | undefined,
  req: {
    subject: Subject;
    action: { kind: string; name: string };
    estimate: { unit: string; amount: number };
  },
  now: number,
): a is Approval {
  return (
    a !== undefined &&
    approvalAt(a, now).status === 'APPROVED' &&
    a.tenant === req.subject.tenant &&
    a.scopePath === scopePathOf(req.subject) &&
    a.action.kind === req.action.kind &&
    a.action.name === req.action.name &&
    a.estimate.unit === req.estimate.unit &&
    req.estimate.amount <= a.estimate.amount
  );
}

/**
 * Raise every ACTIVE budget that cannot hold `amount` by what it lacks: the
 * approved call then fits exactly (a frozen or closed budget, or debt, still
 * denies it). Returns each budget's raise, aligned with `budgets`, or
 * undefined when none was raised: the reservation keeps it for giveBackRaise.
 */
export function raiseForApproval(budgets: readonly BudgetState[], amount: number): number[] | undefined {
  if (budgets.some((b) => b.status !== 'ACTIVE' || b.debt > 0 || b.isOverLimit)) return undefined; // denied anyway
  let raised: number[] | undefined;
  for (const [i, b] of budgets.entries()) {
    const lacking = amount - remainingOf(b);
    if (lacking <= 0) continue;
    b.allocated += lacking;
    raised ??= budgets.map(() => 0);
    raised[i] = lacking;
  }
  return raised;
}

/**
 * At the settlement of a call an approval admitted (after its figures are
 * settled): each raised budget gives back the part of its raise the call did
 * not use — at most `unused` (what it left of its estimate), and never so much
 * that remaining would drop below 0 (an operator may have changed the budget
 * meanwhile). An approval covers exactly its one call.
 */
export function giveBackRaise(
  budgets: readonly BudgetState[],
  raised: readonly number[] | undefined,
  unused: number,
): void {
  if (!raised || unused <= 0) return;
  for (const [i, b] of budgets.entries()) {
    const back = Math.min(raised[i] ?? 0, unused, Math.max(0, remainingOf(b)));
    if (back > 0) b.allocated -= back;
  }
}

/** Mark `a` used by `reservationId` (in place). */
export function markUsed(a: Approval, reservationId: string, now: number): void {
  a.status = 'USED';
  a.usedAtMs = now;
  a.reservationId = reservationId;
}
