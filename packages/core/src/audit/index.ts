export { type AuditAppend, validateAuditAppend } from './append.js';
export { chainHash, verifyChain } from './chain.js';
export { type AuditContext, currentAuditContext, withAuditContext } from './context.js';
export { type AuditDraft, BUDGET_OPERATIONS, budgetDraft, settleDraft } from './entries.js';
export { type ExplainedScope, type Explanation, explainRecord, explainReservation } from './explain.js';
export { type AuditSnapshot, DEFAULT_MEMORY_AUDIT_RECORDS, MemoryAuditLog } from './memory-audit.js';
export {
  AUDIT_ALL_TENANTS,
  byTime,
  DEFAULT_AUDIT_LIMIT,
  encodeCursor,
  matchesAudit,
  mergePage,
  type ParsedAuditQuery,
  parseAuditQuery,
} from './query.js';
export { type AuditBalances, replayAudit } from './replay.js';
export { BudgetTouches } from './touches.js';
export * from './types.js';
