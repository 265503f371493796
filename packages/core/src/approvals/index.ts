export { type ApprovalLedgerParts, type ApprovalStore, approvalLedgerOf } from './ledger-approvals.js';
export { MemoryApprovals } from './memory-approvals.js';
export {
  APPROVAL_ID,
  APPROVAL_RETENTION_MS,
  admits,
  applyDecision,
  approvalAt,
  approvalIdOf,
  giveBackRaise,
  isClosed,
  markUsed,
  newApproval,
  newApprovalId,
  raiseForApproval,
} from './rules.js';
export {
  checkApprovalDecision,
  checkApprovalId,
  checkApprovalQuery,
  checkApprovalRequest,
  checkKey,
  checkTenant,
} from './schemas.js';
export * from './types.js';
