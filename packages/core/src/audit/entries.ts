/**
 * The audit entry of each operation, from its request and answer: one place
 * that says what a record of a reserve, a commit or a freeze holds. The ledger
 * adds the time and the budgets the operation touched. (Built by assignment,
 * never by spreading: JSON.stringify of a spread object is several times slower.)
 */
import type { Approval } from '../approvals/types.js';
import type * as M from '../protocol/messages.js';
import type { Amount } from '../protocol/types.js';
import { scopePathOf, tenantOfScope } from '../scopes.js';
import type { AuditEntry, AuditOperation } from './types.js';

/** An entry before the ledger adds its time and scopes. */
export type AuditDraft = Omit<AuditEntry, 'atMs' | 'scopes'>;

type Call = Pick<M.ReservationCreateRequest, 'subject' | 'action' | 'idempotencyKey'>;
type Decided = Pick<M.ReservationCreateResponse, 'decision' | 'reasonCode' | 'blockedScope' | 'caps'>;

/** The record of a call, from its request: who, what, under which key. */
export function callDraft(operation: AuditOperation, req: Call): AuditDraft {
  return {
    operation,
    tenant: req.subject.tenant,
    subject: req.subject,
    scopePath: scopePathOf(req.subject),
    action: req.action,
    idempotencyKey: req.idempotencyKey,
  };
}

function decided(draft: AuditDraft, response: Decided): AuditDraft {
  draft.decision = response.decision;
  if (response.reasonCode) draft.reasonCode = response.reasonCode;
  if (response.blockedScope) draft.blockedScope = response.blockedScope;
  if (response.caps) draft.caps = response.caps;
  return draft;
}

export function reserveDraft(
  req: M.ReservationCreateRequest,
  response: M.ReservationCreateResponse,
  /** The approval it used (admitted past the budgets it would have been denied by). */
  approvalId?: string,
): AuditDraft {
  const draft = decided(callDraft('reserve', req), response);
  draft.estimate = req.estimate;
  if (req.dryRun) draft.dryRun = true;
  if (response.reservationId) draft.reservationId = response.reservationId;
  if (approvalId && response.reservationId) draft.detail = { approvalId };
  return draft;
}

/** The record of an approval asked for or decided: the call it is for, and where it stands. */
export function approvalDraft(
  operation: 'approval.request' | 'approval.approve' | 'approval.reject',
  a: Approval,
): AuditDraft {
  const draft: AuditDraft = {
    operation,
    tenant: a.tenant,
    subject: a.subject,
    scopePath: a.scopePath,
    action: a.action,
    estimate: a.estimate,
    reasonCode: a.reasonCode,
  };
  if (a.blockedScope) draft.blockedScope = a.blockedScope;
  const detail: Record<string, unknown> = { approvalId: a.approvalId, status: a.status, key: a.key };
  if (a.decidedBy) detail.decidedBy = a.decidedBy;
  if (a.note) detail.note = a.note;
  draft.detail = detail;
  return draft;
}

export function decideDraft(req: M.DecisionRequest, response: M.DecisionResponse): AuditDraft {
  const draft = decided(callDraft('decide', req), response);
  draft.estimate = req.estimate;
  return draft;
}

export function eventDraft(req: M.EventCreateRequest, response: M.EventCreateResponse): AuditDraft {
  const draft = callDraft('event', req);
  draft.actual = req.actual;
  draft.charged = response.charged ?? req.actual;
  draft.detail = { eventId: response.eventId };
  return draft;
}

/** commit, release, extend or expire of the reservation `detail`. */
export function settleDraft(
  operation: 'commit' | 'release' | 'extend' | 'expire',
  detail: M.ReservationDetail,
  fields: {
    idempotencyKey?: string;
    actual?: Amount;
    charged?: Amount;
    released?: Amount;
    detail?: Record<string, unknown>;
  },
): AuditDraft {
  const draft: AuditDraft = {
    operation,
    tenant: detail.subject.tenant,
    subject: detail.subject,
    scopePath: detail.scopePath,
    action: detail.action,
    reservationId: detail.reservationId,
    estimate: detail.reserved,
  };
  if (fields.idempotencyKey !== undefined) draft.idempotencyKey = fields.idempotencyKey;
  if (fields.actual !== undefined) draft.actual = fields.actual;
  if (fields.charged !== undefined) draft.charged = fields.charged;
  if (fields.released !== undefined) draft.released = fields.released;
  if (fields.detail !== undefined) draft.detail = fields.detail;
  return draft;
}

/** The records of a JavaScript ledger's settlements, from the request and its answer. */
export const commitDraft = (detail: M.ReservationDetail, req: M.CommitRequest, response: M.CommitResponse) =>
  settleDraft('commit', detail, {
    idempotencyKey: req.idempotencyKey,
    actual: req.actual,
    charged: response.charged,
    released: response.released,
  });
export const releaseDraft = (
  detail: M.ReservationDetail,
  req: M.ReleaseRequest,
  response: M.ReleaseResponse,
) => settleDraft('release', detail, { idempotencyKey: req.idempotencyKey, released: response.released });
export const extendDraft = (
  detail: M.ReservationDetail,
  req: M.ReservationExtendRequest,
  response: { expiresAtMs: number },
) =>
  settleDraft('extend', detail, {
    idempotencyKey: req.idempotencyKey,
    detail: { extendByMs: req.extendByMs, expiresAtMs: response.expiresAtMs },
  });
export const expireDraft = (detail: M.ReservationDetail) =>
  settleDraft('expire', detail, { released: detail.reserved });

/** What an admin change asked for: the change without the budget's key. */
export function askedOf(change: { scope: string; unit: string }): Record<string, unknown> {
  const {
    scope: _scope,
    unit: _unit,
    ...asked
  } = change as { scope: string; unit: string } & Record<string, unknown>;
  return asked;
}

/** `draft` completed, in place, into the entry a ledger appends: made at `now`, with the budgets `touches` saw. */
export function entryOf(
  draft: AuditDraft,
  now: number,
  touches?: { scopes(): AuditEntry['scopes'] },
): AuditEntry {
  const entry = draft as AuditEntry;
  entry.atMs = now;
  entry.scopes = touches?.scopes() ?? [];
  return entry;
}

/** The operation recorded for each admin change of a budget. */
export const BUDGET_OPERATIONS = {
  create: 'budget.create',
  fund: 'budget.fund',
  debit: 'budget.debit',
  setAllocation: 'budget.set_allocation',
  setOverdraftLimit: 'budget.set_overdraft_limit',
  setCaps: 'budget.set_caps',
  freeze: 'budget.freeze',
  unfreeze: 'budget.unfreeze',
  close: 'budget.close',
  resetSpent: 'budget.reset_spent',
} as const satisfies Record<string, AuditOperation>;

/** An admin change of the budget at `scope`; `detail` is what was asked (amount, caps…). */
export function budgetDraft(
  change: keyof typeof BUDGET_OPERATIONS,
  scope: string,
  detail?: Record<string, unknown>,
): AuditDraft {
  const draft: AuditDraft = {
    operation: BUDGET_OPERATIONS[change],
    tenant: tenantOfScope(scope),
    scopePath: scope,
  };
  if (detail && Object.keys(detail).length > 0) draft.detail = detail;
  return draft;
}
