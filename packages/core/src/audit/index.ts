/** The audit trail's public API (the pieces a ledger implementation needs are in `@governor/core/ledger`). */
export { chainHash, verifyChain } from './chain.js';
export { type AuditContext, withAuditContext } from './context.js';
export { type ExplainedScope, type Explanation, explainRecord, explainReservation } from './explain.js';
export { AUDIT_ALL_TENANTS, DEFAULT_AUDIT_LIMIT } from './query.js';
export { type AuditBalances, replayAudit } from './replay.js';
export * from './types.js';
