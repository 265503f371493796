import { GovernorError } from '../errors.js';
import type { Action, Amount, ReasonCode, Subject } from '../protocol/types.js';

export interface DenialDetails {
  reasonCode: ReasonCode;
  /** The scope that blocked, when the authority said. */
  scope?: string | undefined;
  retryAfterMs?: number | undefined;
  subject: Subject;
  action: Action;
  estimate: Amount;
}

/**
 * The authority said DENY: the work did not start. `reasonCode`, the blocking
 * `scope` and `retryAfterMs` (when known) say why and when to try again.
 */
export class BudgetDeniedError extends GovernorError {
  readonly reasonCode: ReasonCode;
  readonly scope: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly subject: Subject;
  readonly action: Action;
  readonly estimate: Amount;

  constructor(d: DenialDetails) {
    const where = d.scope ? ` at ${d.scope}` : '';
    const when = d.retryAfterMs !== undefined ? `; retry after ${d.retryAfterMs} ms` : '';
    super('BUDGET_EXCEEDED', `${d.action.kind} ${d.action.name} denied: ${d.reasonCode}${where}${when}`, {
      reason_code: d.reasonCode,
      scope: d.scope,
    });
    this.reasonCode = d.reasonCode;
    this.scope = d.scope;
    this.retryAfterMs = d.retryAfterMs;
    this.subject = d.subject;
    this.action = d.action;
    this.estimate = d.estimate;
  }
}

/**
 * The authority could not be reached (transport failure, timeout, 5xx): with
 * the default fail-closed mode the work does not run. `cause` is the failure.
 */
export class AuthorityUnavailableError extends GovernorError {
  constructor(message: string, cause: unknown) {
    super('INTERNAL_ERROR', message);
    this.cause = cause;
  }
}

/** Settling a finished call failed for good; the spend is reported, never released. */
export class SettlementError extends GovernorError {
  constructor(message: string, cause: unknown) {
    super('INTERNAL_ERROR', message);
    this.cause = cause;
  }
}
