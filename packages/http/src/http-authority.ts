/**
 * HttpAuthority: the Authority port over HTTP to any Cycles Protocol v0
 * server (`governor serve` or another implementation). Requests are validated
 * here first (an invalid one never leaves the process), sent as the
 * protocol's snake_case JSON (`run` as `dimensions.run`), and answers are
 * checked against the expected status and shape before they are believed.
 */
import {
  type Approval,
  type ApprovalDecision,
  type ApprovalLedger,
  type ApprovalQuery,
  type ApprovalRequest,
  type Authority,
  type BalanceQuery,
  type BalanceResponse,
  type CommitRequest,
  type CommitResponse,
  checkApprovalDecision,
  checkApprovalId,
  checkApprovalQuery,
  checkApprovalRequest,
  checkKey,
  checkTenant,
  type DecisionRequest,
  type DecisionResponse,
  type EventCreateRequest,
  type EventCreateResponse,
  fromWire,
  type ReleaseRequest,
  type ReleaseResponse,
  type ReservationCreateRequest,
  type ReservationCreateResponse,
  type ReservationDetail,
  type ReservationExtendRequest,
  type ReservationExtendResponse,
  type ReservationListQuery,
  type ReservationListResponse,
  schemas,
  toWire,
  validateRequest,
} from '@governor/core';
import {
  approvalOf,
  approvalPath,
  approvalRequestToWire,
  approvalsOf,
  decisionExchange,
  foundApprovalOf,
  listPath,
  lookupPath,
} from './approvals.js';
import {
  AmbiguousResponseError,
  type Answer,
  errorOf,
  type HttpTransport,
  isObject,
  HttpTransport as Transport,
  type TransportOptions,
} from './transport.js';

type Json = Record<string, unknown>;

export interface HttpAuthorityOptions extends TransportOptions {
  /** The tenant's API key (X-Cycles-API-Key). */
  apiKey: string;
}

/** Live-reserve 409 codes that are a DENY decision, not a failure. */
const DENIAL_CODES = new Set([
  'BUDGET_EXCEEDED',
  'BUDGET_FROZEN',
  'BUDGET_CLOSED',
  'OVERDRAFT_LIMIT_EXCEEDED',
  'DEBT_OUTSTANDING',
  'TENANT_CLOSED',
]);
const DECISIONS = new Set(['ALLOW', 'ALLOW_WITH_CAPS', 'DENY']);

type Check = (body: Json) => string | undefined;

const has =
  (field: string, type: 'string' | 'number' | 'object' | 'array'): Check =>
  (body) => {
    const v = body[field];
    const ok = type === 'array' ? Array.isArray(v) : type === 'object' ? isObject(v) : typeof v === type;
    return ok ? undefined : `${field} must be ${type === 'array' || type === 'object' ? 'an' : 'a'} ${type}`;
  };
const equals =
  (field: string, value: string): Check =>
  (body) =>
    body[field] === value ? undefined : `${field} must be ${value}`;
const decision: Check = (body) =>
  typeof body.decision === 'string' && DECISIONS.has(body.decision)
    ? undefined
    : 'decision is not a Decision';

const SHAPES: Record<string, { status: number; checks: Check[] }> = {
  reserve: { status: 200, checks: [decision, has('affected_scopes', 'array')] },
  decide: { status: 200, checks: [decision] },
  commit: { status: 200, checks: [equals('status', 'COMMITTED'), has('charged', 'object')] },
  release: { status: 200, checks: [equals('status', 'RELEASED'), has('released', 'object')] },
  extend: { status: 200, checks: [equals('status', 'ACTIVE'), has('expires_at_ms', 'number')] },
  event: { status: 201, checks: [equals('status', 'APPLIED'), has('event_id', 'string')] },
  balances: { status: 200, checks: [has('balances', 'array')] },
  getReservation: { status: 200, checks: [has('reservation_id', 'string'), has('status', 'string')] },
  listReservations: { status: 200, checks: [has('reservations', 'array')] },
};

/** The success body of `operation`, or the error the answer means. */
function successOf<T>(operation: string, answer: Answer): T {
  if (answer.status < 200 || answer.status > 299) throw errorOf(operation, answer);
  const shape = SHAPES[operation] as { status: number; checks: Check[] };
  if (answer.status !== shape.status) {
    throw new AmbiguousResponseError(operation, answer.status, answer.body, `expected HTTP ${shape.status}`);
  }
  if (!isObject(answer.body)) {
    throw new AmbiguousResponseError(operation, answer.status, answer.body, 'the body is not a JSON object');
  }
  for (const check of shape.checks) {
    const why = check(answer.body);
    if (why) throw new AmbiguousResponseError(operation, answer.status, answer.body, why);
  }
  return fromWire<T>(answer.body);
}

/** A query as a query string: snake_case names, arrays comma-joined. */
function queryString(query: object): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(toWire(query))) {
    if (v === undefined) continue;
    params.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

const enc = encodeURIComponent;

/** Approvals of the key's tenant (`/v1/approvals`). */
const APPROVALS = '/v1/approvals';

export class HttpAuthority implements Authority, ApprovalLedger {
  readonly transport: HttpTransport;

  constructor(options: HttpAuthorityOptions) {
    this.transport = new Transport({
      ...options,
      headers: { ...options.headers, 'x-cycles-api-key': options.apiKey },
    });
  }

  #post(operation: string, path: string, body: Json) {
    return this.transport.send(operation, {
      method: 'POST',
      path,
      body,
      headers: { 'x-idempotency-key': String(body.idempotency_key) },
    });
  }

  async reserve(request: ReservationCreateRequest): Promise<ReservationCreateResponse> {
    const valid = validateRequest(schemas.reservationCreateRequest, request);
    const answer = await this.#post('reserve', '/v1/reservations', toWire(valid));
    if ((answer.status === 409 || answer.status === 429) && valid.dryRun !== true) {
      const denial = denialOf(answer);
      if (denial) return denial;
    }
    return withBlockedScope(successOf<ReservationCreateResponse>('reserve', answer), answer);
  }

  async commit(reservationId: string, request: CommitRequest): Promise<CommitResponse> {
    const id = validateRequest(schemas.reservationId, reservationId, ['reservationId']);
    const valid = validateRequest(schemas.commitRequest, request);
    return successOf(
      'commit',
      await this.#post('commit', `/v1/reservations/${enc(id)}/commit`, toWire(valid)),
    );
  }

  async release(reservationId: string, request: ReleaseRequest): Promise<ReleaseResponse> {
    const id = validateRequest(schemas.reservationId, reservationId, ['reservationId']);
    const valid = validateRequest(schemas.releaseRequest, request);
    return successOf(
      'release',
      await this.#post('release', `/v1/reservations/${enc(id)}/release`, toWire(valid)),
    );
  }

  async extend(reservationId: string, request: ReservationExtendRequest): Promise<ReservationExtendResponse> {
    const id = validateRequest(schemas.reservationId, reservationId, ['reservationId']);
    const valid = validateRequest(schemas.reservationExtendRequest, request);
    return successOf(
      'extend',
      await this.#post('extend', `/v1/reservations/${enc(id)}/extend`, toWire(valid)),
    );
  }

  async decide(request: DecisionRequest): Promise<DecisionResponse> {
    const valid = validateRequest(schemas.decisionRequest, request);
    const answer = await this.#post('decide', '/v1/decide', toWire(valid));
    return withBlockedScope(successOf<DecisionResponse>('decide', answer), answer);
  }

  async event(request: EventCreateRequest): Promise<EventCreateResponse> {
    const valid = validateRequest(schemas.eventCreateRequest, request);
    return successOf('event', await this.#post('event', '/v1/events', toWire(valid)));
  }

  async balances(query: BalanceQuery): Promise<BalanceResponse> {
    const valid = validateRequest(schemas.balanceQuery, query);
    const answer = await this.transport.send('balances', {
      method: 'GET',
      path: `/v1/balances${queryString(valid)}`,
    });
    return successOf('balances', answer);
  }

  async getReservation(reservationId: string): Promise<ReservationDetail> {
    const id = validateRequest(schemas.reservationId, reservationId, ['reservationId']);
    const answer = await this.transport.send('getReservation', {
      method: 'GET',
      path: `/v1/reservations/${enc(id)}`,
    });
    return successOf('getReservation', answer);
  }

  async listReservations(query: ReservationListQuery = {}): Promise<ReservationListResponse> {
    const valid = validateRequest(schemas.reservationListQuery, query);
    const answer = await this.transport.send('listReservations', {
      method: 'GET',
      path: `/v1/reservations${queryString(valid)}`,
    });
    return successOf('listReservations', answer);
  }

  // ---- approvals (governor serve's; another Cycles server has none) ------------------------

  async requestApproval(request: ApprovalRequest): Promise<Approval> {
    const body = approvalRequestToWire(checkApprovalRequest(request));
    const answer = await this.transport.send('requestApproval', { method: 'POST', path: APPROVALS, body });
    return approvalOf('requestApproval', answer);
  }

  async findApproval(tenant: string, key: string): Promise<Approval | undefined> {
    const path = lookupPath(APPROVALS, checkTenant(tenant), checkKey(key));
    const answer = await this.transport.send('findApproval', { method: 'GET', path });
    return foundApprovalOf('findApproval', answer, key);
  }

  async getApproval(tenant: string, approvalId: string): Promise<Approval> {
    const path = approvalPath(APPROVALS, checkTenant(tenant), checkApprovalId(approvalId));
    return approvalOf('getApproval', await this.transport.send('getApproval', { method: 'GET', path }));
  }

  async listApprovals(query: ApprovalQuery = {}): Promise<Approval[]> {
    const path = listPath(APPROVALS, checkApprovalQuery(query));
    return approvalsOf('listApprovals', await this.transport.send('listApprovals', { method: 'GET', path }));
  }

  /** Refused (403) unless the server lets tenant keys decide (`tenantKeysDecideApprovals`). */
  async decideApproval(decision: ApprovalDecision): Promise<Approval> {
    const { path, body } = decisionExchange(APPROVALS, checkApprovalDecision(decision));
    const answer = await this.transport.send('decideApproval', { method: 'POST', path, body });
    return approvalOf('decideApproval', answer);
  }

  /** Close the connection pool (one of your own `dispatcher` stays open). */
  close(): Promise<void> {
    return this.transport.close();
  }
}

/** Governor's server names the scope that blocked a DENY in a header (the body stays the schema's). */
function withBlockedScope<T extends { decision: string; blockedScope?: string }>(
  response: T,
  answer: Answer,
): T {
  const scope = answer.headers['x-governor-blocked-scope'];
  if (response.decision === 'DENY' && typeof scope === 'string' && scope !== '')
    response.blockedScope = scope;
  return response;
}

/** A live reserve's 409 with a denial code, as the DENY decision it is. */
function denialOf(answer: Answer): ReservationCreateResponse | undefined {
  const body = isObject(answer.body) ? answer.body : undefined;
  if (!body || typeof body.error !== 'string') return undefined;
  const details = isObject(body.details) ? body.details : {};
  // A 429 is a DENY only when it names a rate limit; else it is throttling (LimitExceededError).
  const rateLimited = body.error === 'LIMIT_EXCEEDED' && details.reason_code === 'RATE_LIMITED';
  if (!rateLimited && !DENIAL_CODES.has(body.error)) return undefined;
  const reason = typeof details.reason_code === 'string' ? details.reason_code : body.error;
  const out: ReservationCreateResponse = {
    decision: 'DENY',
    reasonCode: reason,
    affectedScopes: Array.isArray(details.affected_scopes) ? (details.affected_scopes as string[]) : [],
  };
  if (typeof details.retry_after_ms === 'number') out.retryAfterMs = details.retry_after_ms;
  if (Array.isArray(details.balances)) {
    out.balances = fromWire<{ balances: ReservationCreateResponse['balances'] }>({
      balances: details.balances,
    }).balances;
  }
  if (typeof details.scope === 'string') out.blockedScope = details.scope;
  return out;
}
