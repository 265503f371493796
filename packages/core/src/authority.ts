/**
 * The Authority port: the decision point every adapter talks to, and the
 * LedgerAdmin plane that provisions its budgets. Implementations:
 * MemoryAuthority (here), RedisAuthority (@governor/redis), SqliteAuthority
 * (@governor/sqlite), HttpAuthority (@governor/http).
 *
 * Conventions every implementation keeps:
 * - Every input is validated; an invalid one throws InvalidRequestError and
 *   never reaches the ledger.
 * - `reserve` and `decide` answer budget conditions with a decision: a DENY is
 *   a resolved value with a reason code, not an exception.
 * - Requests that cannot be answered throw a GovernorError with the protocol's
 *   error code (NOT_FOUND, UNIT_MISMATCH, RESERVATION_EXPIRED, …).
 * - Time is the ledger's own clock.
 */
import type {
  BalanceQuery,
  BalanceResponse,
  CommitRequest,
  CommitResponse,
  DecisionRequest,
  DecisionResponse,
  EventCreateRequest,
  EventCreateResponse,
  ReleaseRequest,
  ReleaseResponse,
  ReservationCreateRequest,
  ReservationCreateResponse,
  ReservationDetail,
  ReservationExtendRequest,
  ReservationExtendResponse,
  ReservationListQuery,
  ReservationListResponse,
} from './protocol/messages.js';
import type { Caps, Unit } from './protocol/types.js';

export interface Authority {
  reserve(request: ReservationCreateRequest): Promise<ReservationCreateResponse>;
  commit(reservationId: string, request: CommitRequest): Promise<CommitResponse>;
  release(reservationId: string, request: ReleaseRequest): Promise<ReleaseResponse>;
  extend(reservationId: string, request: ReservationExtendRequest): Promise<ReservationExtendResponse>;
  decide(request: DecisionRequest): Promise<DecisionResponse>;
  event(request: EventCreateRequest): Promise<EventCreateResponse>;
  balances(query: BalanceQuery): Promise<BalanceResponse>;
  getReservation(reservationId: string): Promise<ReservationDetail>;
  listReservations(query?: ReservationListQuery): Promise<ReservationListResponse>;
}

export type BudgetStatus = 'ACTIVE' | 'FROZEN' | 'CLOSED';

/** Identifies one budget: a canonical scope id and a unit. */
export interface BudgetKey {
  /** Canonical scope id, e.g. `tenant:acme/workflow:support`. */
  scope: string;
  unit: Unit;
}

/**
 * When a budget starts a new period (see ledger/periods.ts): every fixed
 * duration from its creation (`1h`, `1d`, `30d`: a whole number and s, m, h,
 * d or w), or monthly at midnight of `day` (1–28) in an IANA time zone.
 */
export type BudgetPeriod = { every: string } | { monthly: { day: number; timeZone: string } };

/**
 * What a new period starts with, B being the defined allocation and u the
 * unspent remaining of the period that ended (never below 0): `none` B,
 * `carry_forward` B + u, `cap_at_allocated` B + min(u, B). Spent goes back
 * to 0; debt stays owed; live reservations carry over with their amounts.
 */
export type BudgetRollover = 'none' | 'carry_forward' | 'cap_at_allocated';

/** A budget's schedule: when it resets and what carries over. */
export interface BudgetSchedule {
  period?: BudgetPeriod;
  /** Default `none`; only with a period. */
  rollover?: BudgetRollover;
}

export interface BudgetDefinition extends BudgetKey, BudgetSchedule {
  allocated: number;
  /** Largest debt ALLOW_WITH_OVERDRAFT commits may create; default 0. */
  overdraftLimit?: number;
  /** Static caps: every reservation touching this budget is ALLOW_WITH_CAPS with them. */
  caps?: Caps;
  /**
   * Charges stop here: a call that reaches this budget does not charge the
   * budgets of the scopes above it. For delegated sub-allowances, which the
   * parent scopes have already reserved as a whole.
   */
  isolated?: boolean;
  /** Sliding-window rate limits on the reservations that charge this budget (see RateLimit). */
  rateLimits?: RateLimit[];
}

/**
 * A sliding-window rate limit on a budget: of the reservations that charge it
 * and match `action` / `kind` (default: every one), at most `maxCalls` and at
 * most `maxAmount` (in the budget's unit: on a TOKENS budget, tokens per
 * window) were allowed within the last `windowMs`. Only ALLOWs count; a
 * reservation is counted at its estimate when it is made (a later commit or
 * release does not change the count). Past it, a reserve is a DENY with
 * reason RATE_LIMITED and `retryAfterMs`: when enough of the window has slid.
 */
export interface RateLimit {
  /** Only reservations whose `action.name` is this (e.g. `send_email`). */
  action?: string;
  /** Only reservations whose `action.kind` is this (e.g. `llm.completion`). */
  kind?: string;
  /** The window, 1 ms … 24 h (60,000 for "per minute"). */
  windowMs: number;
  /** Most reservations within the window (RPM with a 60 s window). */
  maxCalls?: number;
  /** Most estimated amount within the window, in the budget's unit (TPM on a TOKENS budget). */
  maxAmount?: number;
}

/** The full state of one budget. remaining = allocated − spent − reserved − debt. */
export interface BudgetInfo extends BudgetKey {
  status: BudgetStatus;
  allocated: number;
  spent: number;
  reserved: number;
  debt: number;
  overdraftLimit: number;
  remaining: number;
  isOverLimit: boolean;
  caps?: Caps;
  isolated?: boolean;
  period?: BudgetPeriod;
  rollover?: BudgetRollover;
  /** The current period's start and end (with a period). */
  periodStartMs?: number;
  periodEndMs?: number;
  rateLimits?: RateLimit[];
}

/**
 * A budget that materialises on first use for every scope matching `match`,
 * e.g. `tenant:*\/workflow:support/run:*` — runs are ephemeral and cannot be
 * provisioned ahead. The pattern has exact levels; a value may be `*`.
 */
export interface BudgetTemplate extends BudgetSchedule {
  match: string;
  unit: Unit;
  allocated: number;
  overdraftLimit?: number;
  caps?: Caps;
  /** Rate limits of every budget it materialises (e.g. `send_email` ≤ 10 a minute per run). */
  rateLimits?: RateLimit[];
}

/** At `atPercent` utilisation of any affected budget, these caps apply. */
export interface DegradationTier {
  /** Utilisation threshold in percent, 0 < atPercent ≤ 100 (two decimals at most). */
  atPercent: number;
  caps: Caps;
}

/**
 * Turns budget state into caps. Utilisation of a budget is
 * (allocated − remaining) / allocated, as the call finds it. Every tier whose
 * threshold is reached by any affected budget applies; their caps merge.
 */
export interface DegradationPolicy {
  tiers: DegradationTier[];
  /** Units the tiers apply to; default all. */
  units?: Unit[];
}

export interface AmountChange extends BudgetKey {
  amount: number;
}

export interface BudgetListFilter {
  tenant?: string;
}

/** Budget provisioning: the operator plane (out of scope of the wire protocol). */
export interface LedgerAdmin {
  /** Create a budget; INVALID_REQUEST if one exists for the scope and unit. */
  createBudget(definition: BudgetDefinition): Promise<BudgetInfo>;
  /** Add to the allocation; outstanding debt is repaid first. Clears over-limit once debt ≤ limit. */
  fund(change: AmountChange): Promise<BudgetInfo>;
  /** Take from the allocation; never below what is spent, reserved and owed. */
  debit(change: AmountChange): Promise<BudgetInfo>;
  setAllocation(change: AmountChange): Promise<BudgetInfo>;
  setOverdraftLimit(change: AmountChange): Promise<BudgetInfo>;
  setCaps(key: BudgetKey & { caps?: Caps | undefined }): Promise<BudgetInfo>;
  /** New reservations and events are denied while frozen; in-flight ones still settle. */
  freeze(key: BudgetKey): Promise<BudgetInfo>;
  unfreeze(key: BudgetKey): Promise<BudgetInfo>;
  /** Terminal: denies every new reservation and event from now on. */
  close(key: BudgetKey): Promise<BudgetInfo>;
  /** Start a new period: spent back to 0 (debt and reservations stay). */
  resetSpent(key: BudgetKey): Promise<BudgetInfo>;
  getBudget(key: BudgetKey): Promise<BudgetInfo | undefined>;
  listBudgets(filter?: BudgetListFilter): Promise<BudgetInfo[]>;
  addTemplate(template: BudgetTemplate): Promise<void>;
  listTemplates(): Promise<BudgetTemplate[]>;
  setDegradationPolicy(policy: DegradationPolicy | undefined): Promise<void>;
  getDegradationPolicy(): Promise<DegradationPolicy | undefined>;
  /** Expire every reservation past expiry + grace now; returns how many. */
  sweepExpired(): Promise<number>;
}

/** A ledger: the runtime authority and its provisioning plane. */
export type Ledger = Authority & LedgerAdmin;
