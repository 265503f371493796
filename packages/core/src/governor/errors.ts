import { GovernorError } from '../errors.js';
import {
  type Action,
  type Amount,
  ERROR_CODES,
  type ErrorCode,
  type ReasonCode,
  type Subject,
} from '../protocol/types.js';

export interface DenialDetails {
  reasonCode: ReasonCode;
  /** The scope that blocked, when the authority said. */
  scope?: string | undefined;
  retryAfterMs?: number | undefined;
  subject: Subject;
  action: Action;
  estimate: Amount;
  /** Why, in words, when the reason code alone does not say (e.g. what is wrong with the points). */
  detail?: string | undefined;
}

/**
 * The authority said DENY: the work did not start. `reasonCode`, the blocking
 * `scope` and `retryAfterMs` (when known) say why and when to try again.
 */
export class BudgetDeniedError extends GovernorError {
  static override readonly marker: string = 'BudgetDeniedError';
  readonly reasonCode: ReasonCode;
  readonly scope: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly subject: Subject;
  readonly action: Action;
  readonly estimate: Amount;
  /** Why, in words, when the reason code alone does not say. */
  readonly detail: string | undefined;

  constructor(d: DenialDetails) {
    const where = d.scope ? ` at ${d.scope}` : '';
    const when = d.retryAfterMs !== undefined ? `; retry after ${d.retryAfterMs} ms` : '';
    const why = d.detail ? ` (${d.detail})` : '';
    super(
      codeOfReason(d.reasonCode),
      `${d.action.kind} ${d.action.name} denied: ${d.reasonCode}${why}${where}${when}`,
      { reason_code: d.reasonCode, scope: d.scope },
    );
    this.detail = d.detail;
    this.reasonCode = d.reasonCode;
    this.scope = d.scope;
    this.retryAfterMs = d.retryAfterMs;
    this.subject = d.subject;
    this.action = d.action;
    this.estimate = d.estimate;
  }
}

/** The protocol error code of a denial: its reason when that is one (BUDGET_FROZEN…), else BUDGET_EXCEEDED. */
function codeOfReason(reason: ReasonCode): ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(reason) && reason !== 'INTERNAL_ERROR'
    ? (reason as ErrorCode)
    : 'BUDGET_EXCEEDED';
}

/**
 * The authority could not be reached (transport failure, timeout, 5xx): with
 * the default fail-closed mode the work does not run. `cause` is the failure.
 */
export class AuthorityUnavailableError extends GovernorError {
  static override readonly marker = 'AuthorityUnavailableError';
  constructor(message: string, cause: unknown) {
    super('INTERNAL_ERROR', message);
    this.cause = cause;
  }
}

/** Settling a finished call failed for good; the spend is reported, never released. */
export class SettlementError extends GovernorError {
  static override readonly marker = 'SettlementError';
  constructor(message: string, cause: unknown) {
    super('INTERNAL_ERROR', message);
    this.cause = cause;
  }
}

/**
 * The guarded work finished without reporting what it used (and did not ask
 * for the estimate to be committed). Nothing is settled without a known
 * actual: the reservation is left to expire. `value` is what the work returned.
 */
export class MissingActualError extends GovernorError {
  static override readonly marker = 'MissingActualError';
  readonly value: unknown;
  readonly reservationId: string | undefined;
  constructor(grant: { action: Action; reservationId?: string | undefined }, value: unknown) {
    super(
      'INVALID_REQUEST',
      `${grant.action.kind} ${grant.action.name} finished without an actual amount; return { value, actual } ` +
        `(or actual: 'estimate') — nothing was committed, the reservation will expire`,
    );
    this.value = value;
    this.reservationId = grant.reservationId;
  }
}

/**
 * The work reported an `actual` that cannot be committed (not a safe integer
 * ≥ 0, another unit, not a number). The call ran, so its estimate was
 * committed instead — never zero; `committed` says what was charged.
 */
export class InvalidActualError extends GovernorError {
  static override readonly marker = 'InvalidActualError';
  readonly actual: unknown;
  readonly reservationId: string | undefined;
  readonly value: unknown;
  constructor(
    grant: { action: Action; reservationId?: string | undefined; estimate: Amount },
    actual: unknown,
    problem: string,
    value: unknown,
  ) {
    super(
      'INVALID_REQUEST',
      `${grant.action.kind} ${grant.action.name} reported an invalid actual (${problem}); ` +
        `its estimate of ${grant.estimate.amount} ${grant.estimate.unit} was committed instead`,
      { actual: describeValue(actual) },
    );
    this.actual = actual;
    this.reservationId = grant.reservationId;
    this.value = value;
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
