/**
 * `@governor/core/ledger`: the shared ledger rules (normalisation, evaluation,
 * settlement, idempotency, templates, queries and pagination) as pure
 * functions, for packages that implement a ledger of their own
 * (`@governor/sqlite`, `@governor/redis`). Not needed to use Governor: the
 * public API is `@governor/core`.
 */

// The audit trail of a ledger: entries from operations, budget deltas, the in-memory ring, queries.
export { type AuditAppend, validateAuditAppend } from '../audit/append.js';
export { auditBody, entryOfBody } from '../audit/body.js';
export { currentAuditContext } from '../audit/context.js';
export {
  type AuditDraft,
  approvalDraft,
  askedOf,
  BUDGET_OPERATIONS,
  budgetDraft,
  callDraft,
  commitDraft,
  entryOf,
  expireDraft,
  extendDraft,
  releaseDraft,
  settleDraft,
} from '../audit/entries.js';
export {
  type AuditSnapshot,
  DEFAULT_MEMORY_AUDIT_RECORDS,
  MemoryAuditLog,
  readRecord,
  type StoredAuditRecord,
} from '../audit/memory-audit.js';
export {
  byTime,
  collectPage,
  encodeCursor,
  matchesAudit,
  mergePage,
  type ParsedAuditQuery,
  parseAuditQuery,
} from '../audit/query.js';
export { sealEntry } from '../audit/seal.js';
export { BudgetTouches } from '../audit/touches.js';
export {
  BUDGET_CHANGES,
  type BudgetChange,
  type BudgetChangeName,
  budgetInfo,
  budgetNotFoundError,
  checkCeiling,
  duplicateBudgetError,
  newBudget,
  validateDefinition,
} from './budgets.js';
export {
  assertUnitKnown,
  type BudgetFinder,
  budgetsFor,
  type Evaluation,
  evaluateReservation,
  throwNoBudget,
} from './evaluate.js';
export {
  type IdempotencyRecords,
  type IdempotentOperation,
  idempotencyMismatchError,
  settleOnce,
  withRemainingTtl,
} from './idempotency.js';
export {
  DEFAULT_MAX_IDEMPOTENCY_RECORDS,
  DEFAULT_MAX_LIVE_RESERVATIONS,
  denialAnswer,
  liveLimitDenial,
  maxLiveOption,
} from './limits.js';
export {
  DEFAULT_GRACE_PERIOD_MS,
  DEFAULT_OVERAGE_POLICY,
  DEFAULT_TTL_MS,
  type NormalizedEvent,
  type NormalizedReservation,
  normalizeEvent,
  normalizeReservation,
} from './normalize.js';
export {
  decideOnce,
  eventOnce,
  type LedgerContext,
  reserveOnce,
  type StoreReservation,
} from './operations.js';
export {
  firstPeriodStart,
  newPeriodState,
  periodEnd,
  periodEveryMs,
  periodView,
  rollBudget,
  rolloverDraft,
} from './periods.js';
export {
  type Page,
  pageTail,
  paginate,
  queryBudgets,
  queryReservations,
  scopeMatchesFilter,
} from './queries.js';
export {
  LOOP_METADATA_KEY,
  type LoopGuard,
  loopGuardOf,
  loopLogKey,
  loopScopeOf,
  type RateDenial,
  type RateRequest,
  rateDenialOf,
  rateLogKey,
  rateRetryAfter,
  recordRate,
  type WindowEntry,
  type WindowLogs,
} from './rate-limits.js';
export {
  applySettlement,
  type BudgetState,
  capsOf,
  chargedBudgets,
  denialOf,
  planSettlement,
  remainingOf,
  type Settlement,
  toBalance,
} from './rules.js';
export {
  chargeCommit,
  chargeEvent,
  chargeRelease,
  checkExtendable,
  type FinalStatus,
  finalizeDetail,
  newReservationDetail,
  unreserve,
} from './settle.js';
export { budgetFromTemplates, type CompiledTemplate, compileTemplate } from './templates.js';
