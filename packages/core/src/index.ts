export * from './adapter/index.js';
export * from './approvals/index.js';
export * from './audit/index.js';
export type * from './authority.js';
export { canonicalJson, fingerprintOf } from './canonical-json.js';
export { isEmptyCaps, isToolAllowed, mergeCaps } from './caps.js';
export { type Clock, flushMicrotasks, ManualClock, type Scheduler, systemClock } from './clock.js';
export * from './errors.js';
export { DEFAULT_BUDGET_MAX_AGE_MS, type ObserveBudgetsOptions } from './governor/budget-gauges.js';
export { extendSubject, type GovernorContext } from './governor/context.js';
export { type AuthorityOperation, DEFAULT_TIMEOUTS, type Timeouts } from './governor/deadline.js';
export {
  approvalCommands,
  approvalPausedMessage,
  assertToolAllowed,
  circuitOpenMessage,
  denialReason,
  deniedToolMessage,
  stoppedMessage,
  TOOL_DENIED_BY_CAPS,
  toolDeniedByCaps,
} from './governor/denial-text.js';
export {
  AuthorityUnavailableError,
  BudgetDeniedError,
  type DenialDetails,
  InvalidActualError,
  MissingActualError,
  SettlementError,
} from './governor/errors.js';
export type { GovernorEvent, GovernorEventListener } from './governor/events.js';
export {
  FileJournal,
  type FileJournalOptions,
  type JournalEvent,
  JournalFullError,
} from './governor/file-journal.js';
export {
  type CallSpec,
  createGovernor,
  Governor,
  type GovernorOptions,
  type RunResult,
} from './governor/governor.js';
export { type AbandonReason, type CommitOptions, type Grant, ReservationHandle } from './governor/handle.js';
export { DEFAULT_MAX_EXTENSIONS, type HeartbeatOptions } from './governor/heartbeat.js';
export { JournalLockedError } from './governor/journal-lock.js';
export {
  decodeRecord as decodeJournalRecord,
  JOURNAL_FORMAT_VERSION,
  type JournalEntry,
  journalPathFor,
  type LiveJournalEntry,
} from './governor/journal-records.js';
export { checkCallerKey, derivedKey, MAX_KEY_LENGTH } from './governor/keys.js';
export { DEFAULT_HANDLE_LIMITS, type ExpiryReason, type HandleLimits } from './governor/limits.js';
export {
  type RecoveredSettlement,
  type RecoverOptions,
  type RecoveryReport,
  type ReplayableJournal,
  type ReplayJournalOptions,
  replayJournal,
} from './governor/recover.js';
export {
  DEFAULT_RETRY,
  isRetryable,
  isTransient,
  isTransportFailure,
  type RetryPolicy,
} from './governor/retry.js';
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  DEFAULT_MAX_CONSECUTIVE_DENIALS,
} from './governor/run-state.js';
export type { SettlementJournal, SettlementOutcome } from './governor/settle.js';
export { LOOP_METADATA_KEY } from './ledger/rate-limits.js';
export { MemoryAuthority, type MemoryAuthorityOptions } from './memory/memory-authority.js';
export type { MemorySnapshot } from './memory/snapshot.js';
export { expectedAmount, parseAmount, readAmount } from './policy/amount.js';
export {
  APPROVABLE_REASONS,
  type ApprovalPolicy,
  type ApprovalRule,
  DEFAULT_APPROVAL_TTL_MS,
  scopeUnder,
} from './policy/approvals.js';
export { DEFAULT_LOOP_BREAKER, type LoopBreakerPolicy } from './policy/loop-breaker.js';
export {
  applyPolicy,
  type GovernorPolicy,
  loadPolicyFile,
  type PolicyApplied,
  parsePolicy,
} from './policy/policy-file.js';
export { type RiskPointRule, type RiskPointTable, riskPointsFor } from './policy/risk-points.js';
export * as policySchemas from './policy/schemas.js';
export { parseUsd } from './policy/schemas.js';
export * from './pricing/index.js';
export {
  DEFAULT_METADATA_LIMITS,
  type MetadataLimits,
  metadataLimits,
  RESERVED_KEYS,
  requestShapeIssue,
} from './protocol/json-value.js';
export type * from './protocol/messages.js';
export { RESERVATION_SORT_KEYS } from './protocol/messages.js';
export * as schemas from './protocol/schemas.js';
export { AMOUNT_RULE, NAME_PATTERN } from './protocol/schemas.js';
export * from './protocol/types.js';
export { validate, validateRequest } from './protocol/validate.js';
export { fromWire, subjectFromWireJson, subjectToWireJson, toWire } from './protocol/wire.js';
export * from './scopes.js';
