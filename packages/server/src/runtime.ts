/**
 * The runtime plane: every operation of the Cycles Protocol v0, with the
 * protocol's status codes and exactly the schemas' fields on the wire.
 */
import {
  type BalanceQuery,
  type CommitRequest,
  type DecisionRequest,
  type DecisionResponse,
  ERROR_CODES,
  type ErrorCode,
  type EventCreateRequest,
  errorFromCode,
  ForbiddenError,
  GovernorError,
  InvalidRequestError,
  LimitExceededError,
  type ReleaseRequest,
  type ReservationCreateRequest,
  type ReservationCreateResponse,
  type ReservationExtendRequest,
  type ReservationListQuery,
  TenantClosedError,
  toWire,
} from '@governor/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal, ServerContext } from './server.js';
import { bodyFromWire, boolParam, intParam, one, type Query } from './wire.js';

const RUNTIME = { config: { plane: 'runtime' as const } };
/** Subject levels a query may filter on: the protocol's, and Governor's `run`. */
const LEVELS = ['tenant', 'workspace', 'app', 'workflow', 'run', 'agent', 'toolset'] as const;
const WIRE_LEVELS = ['tenant', 'workspace', 'app', 'workflow', 'agent', 'toolset'];
const CODES = new Set<string>(ERROR_CODES);
/**
 * Governor's extension to a DENY answer (the first scope that blocked), as a
 * header: the body stays exactly the schema's (a live DENY carries it as `details.scope`).
 */
export const BLOCKED_SCOPE = 'X-Governor-Blocked-Scope';

type Params = { id: string };

function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new ForbiddenError('no tenant for this request');
  return request.principal;
}

/** X-Idempotency-Key, when sent, must equal the body's key. */
function checkIdempotencyHeader(request: FastifyRequest, body: { idempotencyKey?: unknown }) {
  const header = request.headers['x-idempotency-key'];
  if (header === undefined) return;
  if (typeof header !== 'string' || header !== body.idempotencyKey) {
    throw new InvalidRequestError([
      { path: 'idempotency_key', message: 'must equal the X-Idempotency-Key header' },
    ]);
  }
}

/** A subject naming another tenant than the key's is 403 (a malformed one is left to validation). */
function checkSubjectTenant(principal: Principal, subject: unknown) {
  if (subject === null || typeof subject !== 'object') return;
  const tenant = (subject as { tenant?: unknown }).tenant;
  if (typeof tenant === 'string' && tenant !== principal.tenantId) {
    throw new ForbiddenError(`subject.tenant ${tenant} is not the tenant of this API key`);
  }
}

function checkNotClosed(principal: Principal) {
  if (principal.tenantStatus === 'CLOSED') {
    throw new TenantClosedError(`tenant ${principal.tenantId} is closed`);
  }
}

/**
 * A live DENY on create: 409 with the reason as the error code, the rest in
 * details — but RATE_LIMITED is 429 LIMIT_EXCEEDED with Retry-After.
 */
function denialError(response: ReservationCreateResponse): GovernorError {
  const reason = response.reasonCode ?? 'BUDGET_EXCEEDED';
  const code: ErrorCode =
    CODES.has(reason) && reason !== 'INTERNAL_ERROR' ? (reason as ErrorCode) : 'BUDGET_EXCEEDED';
  const details: Record<string, unknown> = {
    reason_code: reason,
    affected_scopes: response.affectedScopes,
  };
  if (response.blockedScope) details.scope = response.blockedScope;
  if (response.retryAfterMs !== undefined) details.retry_after_ms = response.retryAfterMs;
  if (response.balances) details.balances = toWire({ balances: response.balances }).balances;
  const where = response.blockedScope ? ` at ${response.blockedScope}` : '';
  const message = `reservation denied: ${reason}${where}`;
  // A rate limit is throttling: 429 LIMIT_EXCEEDED with Retry-After (the protocol's 429), the reason in details.
  if (reason === 'RATE_LIMITED') return new LimitExceededError(message, response.retryAfterMs, details);
  const error = errorFromCode(code, message, details);
  return error.status === 409 ? error : errorFromCode('BUDGET_EXCEEDED', error.message, details);
}

async function checkOwner(ctx: ServerContext, principal: Principal, id: string) {
  let owner = ctx.ownerOfReservation?.(id);
  if (owner === undefined) {
    try {
      owner = (await ctx.call('getReservation', ctx.ledger.getReservation(id))).subject.tenant;
    } catch (error) {
      // Gone or never there: the operation itself answers 404 / 410.
      if (GovernorError.isInstance(error) && ['NOT_FOUND', 'RESERVATION_EXPIRED'].includes(error.code))
        return;
      throw error;
    }
  }
  if (owner !== principal.tenantId) {
    throw new ForbiddenError(`reservation ${id} belongs to another tenant`);
  }
}

function levelsOf(query: Query, principal: Principal, requireOne: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const level of LEVELS) {
    const v = one(query, level);
    if (v !== undefined) out[level] = v;
  }
  if (requireOne && Object.keys(out).length === 0) {
    throw new InvalidRequestError(`must filter on at least one of ${WIRE_LEVELS.join(', ')}`);
  }
  if (out.tenant !== undefined && out.tenant !== principal.tenantId) {
    throw new ForbiddenError(`tenant ${out.tenant} is not the tenant of this API key`);
  }
  out.tenant = principal.tenantId;
  return out;
}

const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export function registerRuntime(app: FastifyInstance, ctx: ServerContext) {
  const { ledger, call, metrics } = ctx;

  app.post('/v1/decide', RUNTIME, async (request, reply) => {
    const principal = principalOf(request);
    const body = bodyFromWire<DecisionRequest>(request.body);
    checkIdempotencyHeader(request, body);
    checkSubjectTenant(principal, body.subject);
    let response: DecisionResponse;
    if (principal.tenantStatus === 'CLOSED') {
      response = { decision: 'DENY', reasonCode: 'TENANT_CLOSED', affectedScopes: [] };
    } else {
      response = await call('decide', ledger.decide(body));
    }
    metrics.decisions.inc({ operation: 'decide', decision: response.decision });
    if (response.blockedScope) reply.header(BLOCKED_SCOPE, response.blockedScope);
    return toWire(response);
  });

  app.post('/v1/reservations', RUNTIME, async (request, reply) => {
    const principal = principalOf(request);
    const body = bodyFromWire<ReservationCreateRequest>(request.body);
    checkIdempotencyHeader(request, body);
    checkSubjectTenant(principal, body.subject);
    if (principal.tenantStatus === 'CLOSED') {
      if (body.dryRun === true) {
        return { decision: 'DENY', reason_code: 'TENANT_CLOSED', affected_scopes: [] };
      }
      checkNotClosed(principal);
    }
    const response = await call('reserve', ledger.reserve(body));
    metrics.decisions.inc({ operation: body.dryRun ? 'dry_run' : 'reserve', decision: response.decision });
    if (response.decision === 'DENY' && body.dryRun !== true) throw denialError(response);
    if (response.blockedScope) reply.header(BLOCKED_SCOPE, response.blockedScope);
    return toWire(response);
  });

  app.get('/v1/reservations', RUNTIME, async (request) => {
    const principal = principalOf(request);
    const q = request.query as Query;
    const include = one(q, 'include');
    const query = defined({
      ...levelsOf(q, principal, false),
      idempotencyKey: one(q, 'idempotency_key'),
      status: one(q, 'status'),
      from: one(q, 'from'),
      to: one(q, 'to'),
      expiresFrom: one(q, 'expires_from'),
      expiresTo: one(q, 'expires_to'),
      finalizedFrom: one(q, 'finalized_from'),
      finalizedTo: one(q, 'finalized_to'),
      sortBy: one(q, 'sort_by'),
      sortDir: one(q, 'sort_dir'),
      include:
        include === undefined
          ? undefined
          : include
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
      limit: intParam(q, 'limit'),
      cursor: one(q, 'cursor'),
    }) as ReservationListQuery;
    return toWire(await call('listReservations', ledger.listReservations(query)));
  });

  app.get<{ Params: Params }>('/v1/reservations/:id', RUNTIME, async (request) => {
    const principal = principalOf(request);
    const detail = await call('getReservation', ledger.getReservation(request.params.id));
    if (detail.subject.tenant !== principal.tenantId) {
      throw new ForbiddenError(`reservation ${request.params.id} belongs to another tenant`);
    }
    return toWire(detail);
  });

  const settle = <B extends { idempotencyKey: string }>(
    path: string,
    operation: 'commit' | 'release' | 'extend',
    run: (id: string, body: B) => Promise<object>,
  ) =>
    app.post<{ Params: Params }>(path, RUNTIME, async (request) => {
      const principal = principalOf(request);
      const body = bodyFromWire<B>(request.body);
      checkIdempotencyHeader(request, body);
      checkNotClosed(principal);
      await checkOwner(ctx, principal, request.params.id);
      return toWire(await call(operation, run(request.params.id, body)));
    });

  settle<CommitRequest>('/v1/reservations/:id/commit', 'commit', (id, body) => ledger.commit(id, body));
  settle<ReleaseRequest>('/v1/reservations/:id/release', 'release', (id, body) => ledger.release(id, body));
  settle<ReservationExtendRequest>('/v1/reservations/:id/extend', 'extend', (id, body) =>
    ledger.extend(id, body),
  );

  app.post('/v1/events', RUNTIME, async (request, reply: FastifyReply) => {
    const principal = principalOf(request);
    const body = bodyFromWire<EventCreateRequest>(request.body);
    checkIdempotencyHeader(request, body);
    checkSubjectTenant(principal, body.subject);
    checkNotClosed(principal);
    const response = await call('event', ledger.event(body));
    return reply.code(201).send(toWire(response));
  });

  app.get('/v1/balances', RUNTIME, async (request) => {
    const principal = principalOf(request);
    const q = request.query as Query;
    const query = defined({
      ...levelsOf(q, principal, true),
      includeChildren: boolParam(q, 'include_children'),
      limit: intParam(q, 'limit'),
      cursor: one(q, 'cursor'),
    }) as BalanceQuery;
    return toWire(await call('balances', ledger.balances(query)));
  });
}
