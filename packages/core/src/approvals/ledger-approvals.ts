/**
 * The ApprovalLedger of a ledger that keeps approvals in JavaScript
 * (MemoryAuthority, SqliteAuthority): every call validated, run at the
 * ledger's time (in its transaction), and recorded in its audit trail when it
 * asks for or decides an approval. The store keeps the records.
 */

import { currentAuditContext } from '../audit/context.js';
import { type AuditDraft, approvalDraft } from '../audit/entries.js';
import { approvalAt } from './rules.js';
import {
  checkApprovalDecision,
  checkApprovalId,
  checkApprovalQuery,
  checkApprovalRequest,
  checkKey,
  checkTenant,
} from './schemas.js';
import type { Approval, ApprovalDecision, ApprovalLedger, ApprovalQuery, ApprovalRequest } from './types.js';

/** Where approvals are kept (MemoryApprovals, the SQLite rows): core's rules applied at `now`. */
export interface ApprovalStore {
  request(req: ApprovalRequest, now: number): { approval: Approval; created: boolean };
  find(tenant: string, key: string): Approval | undefined;
  get(tenant: string, id: string): Approval;
  list(query: ApprovalQuery, now: number): Approval[];
  decide(d: ApprovalDecision, actor: string, now: number): Approval;
}

export interface ApprovalLedgerParts {
  store: ApprovalStore;
  /** Run `fn` at the ledger's time, as one of its operations (after what is due, in its transaction). */
  atNow<T>(fn: (now: number) => T): T;
  /** Append `draft`, made at `now`, to the audit trail (nothing without one). */
  record(draft: AuditDraft, now: number): void;
}

export function approvalLedgerOf({ store, atNow, record }: ApprovalLedgerParts): ApprovalLedger {
  return {
    async requestApproval(input: ApprovalRequest) {
      const req = checkApprovalRequest(input);
      return atNow((now) => {
        const { approval, created } = store.request(req, now);
        if (created) record(approvalDraft('approval.request', approval), now);
        return approval;
      });
    },
    async findApproval(tenant: string, key: string) {
      const [t, k] = [checkTenant(tenant), checkKey(key)];
      return atNow((now) => {
        const found = store.find(t, k);
        return found && approvalAt(found, now);
      });
    },
    async getApproval(tenant: string, approvalId: string) {
      const [t, id] = [checkTenant(tenant), checkApprovalId(approvalId)];
      return atNow((now) => approvalAt(store.get(t, id), now));
    },
    async listApprovals(query?: ApprovalQuery) {
      const q = checkApprovalQuery(query);
      return atNow((now) => store.list(q, now));
    },
    async decideApproval(input: ApprovalDecision) {
      const d = checkApprovalDecision(input);
      return atNow((now) => {
        const before = approvalAt(store.get(d.tenant, d.approvalId), now).status;
        const approval = store.decide(d, d.actor ?? currentAuditContext().actor, now);
        const operation = d.decision === 'APPROVE' ? 'approval.approve' : 'approval.reject';
        if (before === 'PENDING') record(approvalDraft(operation, approval), now);
        return approval;
      });
    },
  };
}
