/**
 * The Cycles Protocol v0 data model, in camelCase.
 *
 * Every type here maps one-to-one onto a protocol schema (see `wire.ts` for the
 * snake_case mapping). The only addition is the `run` subject level, which the
 * protocol does not have: on the wire it travels as `dimensions.run`.
 */

/** Budget units. All amounts are integers; 1 USD = 10^8 USD_MICROCENTS. */
export const UNITS = ['USD_MICROCENTS', 'TOKENS', 'CREDITS', 'RISK_POINTS'] as const;
export type Unit = (typeof UNITS)[number];

/** One US dollar in USD_MICROCENTS. */
export const USD = 100_000_000;

/** Largest amount any Governor ledger accepts (amounts are exact integers). */
export const MAX_AMOUNT = Number.MAX_SAFE_INTEGER;

export interface Amount {
  unit: Unit;
  amount: number;
}

/** Like Amount, but may be negative (a balance's `remaining` under overdraft). */
export interface SignedAmount {
  unit: Unit;
  amount: number;
}

/** Subject levels in canonical scope order. `run` is Governor's addition. */
export const SUBJECT_LEVELS = ['tenant', 'workspace', 'app', 'workflow', 'run', 'agent', 'toolset'] as const;
export type SubjectLevel = (typeof SUBJECT_LEVELS)[number];

/** Who is acting. `tenant` is required; other levels are optional and gaps are skipped. */
export interface Subject {
  tenant: string;
  workspace?: string;
  app?: string;
  workflow?: string;
  /** Governor's run level: sits between workflow and agent; `dimensions.run` on the wire. */
  run?: string;
  agent?: string;
  toolset?: string;
  /** Free dimensions, carried and round-tripped; not used for budgeting. */
  dimensions?: Record<string, string>;
}

/** What is about to happen. */
export interface Action {
  /** `<category>.<operation>`, e.g. `llm.completion`, `tool.call`, `message.email`. */
  kind: string;
  /** Model id or tool name, e.g. `openai:gpt-4o-mini`, `send_email`. */
  name: string;
  tags?: string[];
}

export const DECISIONS = ['ALLOW', 'ALLOW_WITH_CAPS', 'DENY'] as const;
export type Decision = (typeof DECISIONS)[number];

/** Soft-landing constraints returned with ALLOW_WITH_CAPS. */
export interface Caps {
  maxTokens?: number;
  maxStepsRemaining?: number;
  /** If non-empty, only these tools are allowed (the denylist is then ignored). */
  toolAllowlist?: string[];
  /** If non-empty (and no allowlist), every tool except these is allowed. */
  toolDenylist?: string[];
  cooldownMs?: number;
}

export const OVERAGE_POLICIES = ['REJECT', 'ALLOW_IF_AVAILABLE', 'ALLOW_WITH_OVERDRAFT'] as const;
export type OveragePolicy = (typeof OVERAGE_POLICIES)[number];

export const RESERVATION_STATUSES = ['ACTIVE', 'COMMITTED', 'RELEASED', 'EXPIRED'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

/** Protocol error codes; each is paired with one HTTP status (see errors.ts). */
export const ERROR_CODES = [
  'INVALID_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BUDGET_EXCEEDED',
  'BUDGET_FROZEN',
  'BUDGET_CLOSED',
  'RESERVATION_EXPIRED',
  'RESERVATION_FINALIZED',
  'IDEMPOTENCY_MISMATCH',
  'UNIT_MISMATCH',
  'OVERDRAFT_LIMIT_EXCEEDED',
  'DEBT_OUTSTANDING',
  'MAX_EXTENSIONS_EXCEEDED',
  'LIMIT_EXCEEDED',
  'TENANT_CLOSED',
  'INTERNAL_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Reason codes known to this version. The protocol keeps the set open: expect others. */
export const REASON_CODES = [
  'BUDGET_EXCEEDED',
  'BUDGET_FROZEN',
  'BUDGET_CLOSED',
  'BUDGET_NOT_FOUND',
  'OVERDRAFT_LIMIT_EXCEEDED',
  'DEBT_OUTSTANDING',
  'TENANT_CLOSED',
  'LIVE_RESERVATION_LIMIT',
  /** Governor: a rate limit of an affected budget is reached; `retryAfterMs` says when it frees up. */
  'RATE_LIMITED',
  /** Governor: the same tool with the same arguments, too often within the loop breaker's window in one run. */
  'LOOP_DETECTED',
  /** Governor: the call is paused until an operator approves it (see ApprovalRequiredError). */
  'APPROVAL_REQUIRED',
  /** Governor: an operator rejected the approval this call waited for. */
  'APPROVAL_REJECTED',
] as const;
export type KnownReasonCode = (typeof REASON_CODES)[number];
export type ReasonCode = KnownReasonCode | (string & {});

/** Ledger state of one (scope, unit) budget. remaining = allocated − spent − reserved − debt. */
export interface Balance {
  scope: string;
  scopePath: string;
  remaining: SignedAmount;
  reserved?: Amount;
  spent?: Amount;
  debt?: Amount;
  allocated?: Amount;
  overdraftLimit?: Amount;
  isOverLimit?: boolean;
}

export interface StandardMetrics {
  tokensInput?: number;
  tokensOutput?: number;
  latencyMs?: number;
  modelVersion?: string;
  custom?: Record<string, unknown>;
}

export type Metadata = Record<string, unknown>;
