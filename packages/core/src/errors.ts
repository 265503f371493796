import type { ErrorCode } from './protocol/types.js';

/** The HTTP status the protocol pairs with each error code. */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  INVALID_REQUEST: 400,
  UNIT_MISMATCH: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BUDGET_EXCEEDED: 409,
  BUDGET_FROZEN: 409,
  BUDGET_CLOSED: 409,
  RESERVATION_FINALIZED: 409,
  IDEMPOTENCY_MISMATCH: 409,
  OVERDRAFT_LIMIT_EXCEEDED: 409,
  DEBT_OUTSTANDING: 409,
  MAX_EXTENSIONS_EXCEEDED: 409,
  TENANT_CLOSED: 409,
  RESERVATION_EXPIRED: 410,
  LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
};

/**
 * Marks every Governor error with the markers of its class chain, under a
 * `Symbol.for` key: two copies of `@governor/core` in one process (two
 * versions in node_modules) recognise each other's errors through the static
 * `isInstance` checks, where `instanceof` would fail.
 */
const MARK = Symbol.for('governor.error');

type Marked = { readonly marker?: string };

function markersOf(target: unknown): string[] {
  const out: string[] = [];
  for (let c = target; c && c !== Error; c = Object.getPrototypeOf(c)) {
    if (Object.hasOwn(c as object, 'marker')) out.push((c as Marked).marker as string);
  }
  return out;
}

/** Every error an Authority throws: carries the protocol code and its HTTP status. */
export class GovernorError extends Error {
  /** The class's marker (see `isInstance`); every subclass declares its own. */
  static readonly marker: string = 'GovernorError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = details;
    Object.defineProperty(this, MARK, { value: markersOf(new.target) });
  }

  /**
   * Whether `error` is an instance of this class, made by any copy of
   * `@governor/core`: `BudgetDeniedError.isInstance(e)`.
   */
  static isInstance<T extends abstract new (...args: never[]) => GovernorError>(
    this: T & Marked,
    error: unknown,
  ): error is InstanceType<T> {
    if (error === null || typeof error !== 'object') return false;
    const marks = (error as { [MARK]?: unknown })[MARK];
    // `this` is the class isInstance is called on (BudgetDeniedError.isInstance): its own marker.
    // biome-ignore lint/complexity/noThisInStatic: each subclass is checked by its own marker
    return Array.isArray(marks) && marks.includes(this.marker);
  }
}

/** One problem with a request: where it is and which rule it breaks. */
export interface ValidationIssue {
  /** Dotted path into the request, e.g. `subject.tenant`. */
  path: string;
  message: string;
}

/** INVALID_REQUEST: the request breaks a rule; `issues` lists every problem found. */
export class InvalidRequestError extends GovernorError {
  static override readonly marker = 'InvalidRequestError';
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[] | string, details?: Record<string, unknown>) {
    const list = typeof issues === 'string' ? [{ path: '', message: issues }] : issues;
    super('INVALID_REQUEST', list.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '), {
      ...details,
      issues: list,
    });
    this.issues = list;
  }
}

const define = (code: ErrorCode) =>
  class extends GovernorError {
    static override readonly marker: string = `code:${code}`;
    constructor(message: string, details?: Record<string, unknown>) {
      super(code, message, details);
    }
  };

export class UnitMismatchError extends define('UNIT_MISMATCH') {}
export class UnauthorizedError extends define('UNAUTHORIZED') {}
export class ForbiddenError extends define('FORBIDDEN') {}
export class NotFoundError extends define('NOT_FOUND') {}
export class BudgetExceededError extends define('BUDGET_EXCEEDED') {}
export class BudgetFrozenError extends define('BUDGET_FROZEN') {}
export class BudgetClosedError extends define('BUDGET_CLOSED') {}
export class ReservationExpiredError extends define('RESERVATION_EXPIRED') {}
export class ReservationFinalizedError extends define('RESERVATION_FINALIZED') {}
export class IdempotencyMismatchError extends define('IDEMPOTENCY_MISMATCH') {}
export class OverdraftLimitExceededError extends define('OVERDRAFT_LIMIT_EXCEEDED') {}
export class DebtOutstandingError extends define('DEBT_OUTSTANDING') {}
export class MaxExtensionsExceededError extends define('MAX_EXTENSIONS_EXCEEDED') {}
export class TenantClosedError extends define('TENANT_CLOSED') {}
export class InternalError extends define('INTERNAL_ERROR') {}

/** LIMIT_EXCEEDED (429): throttled; retry after `retryAfterMs` when known. */
export class LimitExceededError extends GovernorError {
  static override readonly marker = 'LimitExceededError';
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number, details?: Record<string, unknown>) {
    super('LIMIT_EXCEEDED', message, details);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * The authority could not be reached or did not answer: connection refused or
 * reset, a timeout, a lost connection. The one class of failure that retries
 * and `failMode: 'open'` treat as an outage (see `isTransportFailure`).
 * Ledgers and transports wrap their connection errors in it.
 */
export class TransportError extends GovernorError {
  static override readonly marker: string = 'TransportError';
  constructor(message: string, cause?: unknown, details?: Record<string, unknown>) {
    super('INTERNAL_ERROR', message, { ...details, retryable: true });
    this.cause = cause;
  }
}

/** An authority call that did not answer within its deadline (`timeouts` of createGovernor). */
export class AuthorityTimeoutError extends TransportError {
  static override readonly marker = 'AuthorityTimeoutError';
  readonly operation: string;
  readonly timeoutMs: number;
  constructor(operation: string, timeoutMs: number) {
    super(`${operation}: the authority did not answer within ${timeoutMs} ms`);
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

const BY_CODE: Record<Exclude<ErrorCode, 'INVALID_REQUEST' | 'LIMIT_EXCEEDED'>, ReturnType<typeof define>> = {
  UNIT_MISMATCH: UnitMismatchError,
  UNAUTHORIZED: UnauthorizedError,
  FORBIDDEN: ForbiddenError,
  NOT_FOUND: NotFoundError,
  BUDGET_EXCEEDED: BudgetExceededError,
  BUDGET_FROZEN: BudgetFrozenError,
  BUDGET_CLOSED: BudgetClosedError,
  RESERVATION_EXPIRED: ReservationExpiredError,
  RESERVATION_FINALIZED: ReservationFinalizedError,
  IDEMPOTENCY_MISMATCH: IdempotencyMismatchError,
  OVERDRAFT_LIMIT_EXCEEDED: OverdraftLimitExceededError,
  DEBT_OUTSTANDING: DebtOutstandingError,
  MAX_EXTENSIONS_EXCEEDED: MaxExtensionsExceededError,
  TENANT_CLOSED: TenantClosedError,
  INTERNAL_ERROR: InternalError,
};

/** Rebuild the typed error for a protocol error code (e.g. from an HTTP error body). */
export function errorFromCode(
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): GovernorError {
  if (code === 'INVALID_REQUEST') {
    const issues = Array.isArray(details?.issues) ? (details.issues as ValidationIssue[]) : message;
    return new InvalidRequestError(issues, details);
  }
  if (code === 'LIMIT_EXCEEDED') {
    const retry = typeof details?.retry_after_ms === 'number' ? details.retry_after_ms : undefined;
    return new LimitExceededError(message, retry, details);
  }
  return new BY_CODE[code](message, details);
}
