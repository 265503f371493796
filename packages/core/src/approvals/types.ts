/**
 * Approvals: a call the budget would deny pauses instead of failing. The
 * adapter asks the ledger for an approval; an operator (or the host's user)
 * approves or rejects it; an approved call is reserved once, with its
 * approval, and the ledger raises the budgets that blocked it by exactly what
 * the call lacks. Kept by the ledger, so every process and the operator's CLI
 * see the same approvals.
 */
import type { Action, Amount, ReasonCode, Subject } from '../protocol/types.js';

/**
 * PENDING until decided or `expiresAtMs`; APPROVED (usable once, until
 * `expiresAtMs`); REJECTED; USED by one reservation; EXPIRED (pending or
 * approved past its deadline).
 */
export const APPROVAL_STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'USED', 'EXPIRED'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** What the adapter asks for: the call that was denied, and why. */
export interface ApprovalRequest {
  /** The call's identity (one approval per key at a time): a tool call id, or a hash of the call. */
  key: string;
  subject: Subject;
  action: Action;
  /** What the call would reserve; an approval admits a call of at most this much. */
  estimate: Amount;
  /** Why the call was denied (BUDGET_EXCEEDED, RATE_LIMITED, LOOP_DETECTED…). */
  reasonCode: ReasonCode;
  /** The scope that denied it. */
  blockedScope?: string | undefined;
  /** How long it waits for a decision, and then how long an approval stays usable; ms. */
  ttlMs: number;
}

export interface Approval {
  /** `apr_…` */
  approvalId: string;
  tenant: string;
  key: string;
  status: ApprovalStatus;
  subject: Subject;
  /** The deepest scope of the subject: an approval admits a call on exactly this path. */
  scopePath: string;
  action: Action;
  estimate: Amount;
  reasonCode: ReasonCode;
  blockedScope?: string;
  ttlMs: number;
  createdAtMs: number;
  /** A pending approval expires then; an approved one can be used until then (decision time + ttl). */
  expiresAtMs: number;
  decidedAtMs?: number;
  /** Who decided: `admin`, `key:<id>`, `mcp-host:<name>`, an operator's name. */
  decidedBy?: string;
  note?: string;
  usedAtMs?: number;
  /** The reservation that used it. */
  reservationId?: string;
}

export interface ApprovalDecision {
  tenant: string;
  approvalId: string;
  decision: 'APPROVE' | 'REJECT';
  /** Recorded as `decidedBy`; default the audit context's actor, else `admin`. */
  actor?: string | undefined;
  note?: string | undefined;
}

export interface ApprovalQuery {
  /** One tenant's approvals; omitted: every tenant's. */
  tenant?: string | undefined;
  status?: ApprovalStatus | undefined;
  /** Most approvals returned, newest first; default 100, at most 1,000. */
  limit?: number | undefined;
}

/** The ledger side of approvals: MemoryAuthority, RedisAuthority, SqliteAuthority and HttpAuthority keep them. */
export interface ApprovalLedger {
  /**
   * The approval for `key` that is still open (PENDING, APPROVED or
   * REJECTED), or a new PENDING one: asking twice for the same call never
   * makes two.
   */
  requestApproval(request: ApprovalRequest): Promise<Approval>;
  /** The latest approval for `key` in `tenant`, whatever its status; undefined if there is none. */
  findApproval(tenant: string, key: string): Promise<Approval | undefined>;
  /** One approval; NOT_FOUND if the tenant has none with this id. */
  getApproval(tenant: string, approvalId: string): Promise<Approval>;
  listApprovals(query?: ApprovalQuery): Promise<Approval[]>;
  /** Approve or reject a PENDING approval; INVALID_REQUEST once it is decided otherwise, used or expired. */
  decideApproval(decision: ApprovalDecision): Promise<Approval>;
}

/** The reserve metadata key that carries an approval id: `{ 'governor.approval': 'apr_…' }`. */
export const APPROVAL_METADATA_KEY = 'governor.approval';

/** Whether `authority` keeps approvals. */
export function isApprovalLedger(authority: unknown): authority is ApprovalLedger {
  const a = authority as Partial<ApprovalLedger> | null;
  return (
    typeof a === 'object' &&
    a !== null &&
    typeof a.requestApproval === 'function' &&
    typeof a.decideApproval === 'function' &&
    typeof a.findApproval === 'function'
  );
}
