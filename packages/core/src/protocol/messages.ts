/** Requests and responses of the Cycles runtime API, in camelCase. */
import type {
  Action,
  Amount,
  Balance,
  Caps,
  Decision,
  Metadata,
  OveragePolicy,
  ReasonCode,
  ReservationStatus,
  StandardMetrics,
  Subject,
  SubjectLevel,
} from './types.js';

export interface ReservationCreateRequest {
  idempotencyKey: string;
  subject: Subject;
  action: Action;
  estimate: Amount;
  /** 1,000 … 86,400,000; default 60,000. */
  ttlMs?: number;
  /** 0 … 60,000; default 5,000. */
  gracePeriodMs?: number;
  /** Default ALLOW_IF_AVAILABLE. */
  overagePolicy?: OveragePolicy;
  dryRun?: boolean;
  metadata?: Metadata;
}

export interface ReservationCreateResponse {
  decision: Decision;
  reservationId?: string;
  reserved?: Amount;
  expiresAtMs?: number;
  remainingTtlMs?: number;
  scopePath?: string;
  affectedScopes: string[];
  caps?: Caps;
  balances?: Balance[];
  reasonCode?: ReasonCode;
  retryAfterMs?: number;
  /**
   * Governor extension, not a wire field of this response: on DENY, the first
   * scope (canonical order) that blocked. A server sends it as `details.scope`.
   */
  blockedScope?: string;
}

export interface CommitRequest {
  idempotencyKey: string;
  actual: Amount;
  metrics?: StandardMetrics;
  metadata?: Metadata;
}

export interface CommitResponse {
  status: 'COMMITTED';
  charged: Amount;
  released?: Amount;
  balances?: Balance[];
}

export interface ReleaseRequest {
  idempotencyKey: string;
  reason?: string;
}

export interface ReleaseResponse {
  status: 'RELEASED';
  released: Amount;
  balances?: Balance[];
}

export interface ReservationExtendRequest {
  idempotencyKey: string;
  /** 1 … 86,400,000; relative to the current expiry, not to now. */
  extendByMs: number;
  metadata?: Metadata;
}

export interface ReservationExtendResponse {
  status: 'ACTIVE';
  expiresAtMs: number;
  remainingTtlMs?: number;
  balances?: Balance[];
}

export interface DecisionRequest {
  idempotencyKey: string;
  subject: Subject;
  action: Action;
  estimate: Amount;
  metadata?: Metadata;
}

export interface DecisionResponse {
  decision: Decision;
  caps?: Caps;
  reasonCode?: ReasonCode;
  retryAfterMs?: number;
  affectedScopes?: string[];
  /** Governor extension (see ReservationCreateResponse.blockedScope). */
  blockedScope?: string;
}

export interface EventCreateRequest {
  idempotencyKey: string;
  subject: Subject;
  action: Action;
  actual: Amount;
  /** Default ALLOW_IF_AVAILABLE. */
  overagePolicy?: OveragePolicy;
  metrics?: StandardMetrics;
  /** Advisory only; never used for any decision. */
  clientTimeMs?: number;
  metadata?: Metadata;
}

export interface EventCreateResponse {
  status: 'APPLIED';
  eventId: string;
  /** Present when the charge was capped below `actual`. */
  charged?: Amount;
  balances?: Balance[];
}

/** A filter on subject levels: each one given must match. */
export type LevelFilter = Partial<Record<SubjectLevel, string>>;

/** Filter for `balances`. At least one subject level is required. */
export interface BalanceQuery extends LevelFilter {
  /** Also return budgets of scopes below the filter's deepest level. */
  includeChildren?: boolean;
  /** 1 … 200; default 50. */
  limit?: number;
  cursor?: string;
}

export interface BalanceResponse {
  balances: Balance[];
  nextCursor?: string;
  hasMore?: boolean;
}

export interface ReservationDetail {
  reservationId: string;
  status: ReservationStatus;
  idempotencyKey?: string;
  subject: Subject;
  action: Action;
  reserved: Amount;
  committed?: Amount;
  createdAtMs: number;
  expiresAtMs: number;
  finalizedAtMs?: number;
  scopePath: string;
  affectedScopes: string[];
  metadata?: Metadata;
  committedMetadata?: Metadata;
}

export type ReservationSummary = ReservationDetail;

export const RESERVATION_SORT_KEYS = [
  'reservation_id',
  'tenant',
  'scope_path',
  'status',
  'reserved',
  'created_at_ms',
  'expires_at_ms',
] as const;
export type ReservationSortKey = (typeof RESERVATION_SORT_KEYS)[number];

/** Filter for `listReservations`. Time bounds are ISO 8601 date-times, inclusive. */
export interface ReservationListQuery extends LevelFilter {
  idempotencyKey?: string;
  status?: ReservationStatus;
  from?: string;
  to?: string;
  expiresFrom?: string;
  expiresTo?: string;
  finalizedFrom?: string;
  finalizedTo?: string;
  sortBy?: ReservationSortKey;
  sortDir?: 'asc' | 'desc';
  /** Opt-in heavy fields: `metadata`, `committed_metadata`. Unknown tokens are ignored. */
  include?: string[];
  /** 1 … 200; default 50. */
  limit?: number;
  cursor?: string;
}

export interface ReservationListResponse {
  reservations: ReservationSummary[];
  nextCursor?: string;
  hasMore?: boolean;
}
