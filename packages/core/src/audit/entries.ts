/**
 * The audit entry of each operation, from its request and answer: one place
 * that says what a record of a reserve, a commit or a freeze holds. The ledger
 * adds the time and the budgets the operation touched.
 */
import type * as M from '../protocol/messages.js';
import type { Amount } from '../protocol/types.js';
import { scopePathOf, tenantOfScope } from '../scopes.js';
import type { AuditEntry, AuditOperation } from './types.js';

/** An entry before the ledger adds its time and scopes. */
export type AuditDraft = Omit<AuditEntry, 'atMs' | 'scopes'>;

const callOf = (req: {
  subject: M.ReservationCreateRequest['subject'];
  action: M.ReservationCreateRequest['action'];
  idempotencyKey: string;
}) => ({
  tenant: req.subject.tenant,
  subject: req.subject,
  scopePath: scopePathOf(req.subject),
  action: req.action,
  idempotencyKey: req.idempotencyKey,
});

function decisionOf(response: {
  decision: M.ReservationCreateResponse['decision'];
  reasonCode?: string | undefined;
  blockedScope?: string | undefined;
  caps?: M.ReservationCreateResponse['caps'];
}): Pick<AuditDraft, 'decision' | 'reasonCode' | 'blockedScope' | 'caps'> {
  const out: Pick<AuditDraft, 'decision' | 'reasonCode' | 'blockedScope' | 'caps'> = {
    decision: response.decision,
  };
  if (response.reasonCode) out.reasonCode = response.reasonCode;
  if (response.blockedScope) out.blockedScope = response.blockedScope;
  if (response.caps) out.caps = response.caps;
  return out;
}

export function reserveDraft(
  req: M.ReservationCreateRequest,
  response: M.ReservationCreateResponse,
): AuditDraft {
  const draft: AuditDraft = {
    operation: 'reserve',
    ...callOf(req),
    ...decisionOf(response),
    estimate: req.estimate,
  };
  if (req.dryRun) draft.dryRun = true;
  if (response.reservationId) draft.reservationId = response.reservationId;
  return draft;
}

export function decideDraft(req: M.DecisionRequest, response: M.DecisionResponse): AuditDraft {
  return { operation: 'decide', ...callOf(req), ...decisionOf(response), estimate: req.estimate };
}

export function eventDraft(req: M.EventCreateRequest, response: M.EventCreateResponse): AuditDraft {
  return {
    operation: 'event',
    ...callOf(req),
    actual: req.actual,
    charged: response.charged ?? req.actual,
    detail: { eventId: response.eventId },
  };
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
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) Object.assign(draft, { [k]: v });
  return draft;
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
