export { MemoryApprovals } from './memory-approvals.js';
export {
  APPROVAL_ID,
  APPROVAL_RETENTION_MS,
  admits,
  applyDecision,
  approvalAt,
  approvalIdOf,
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
