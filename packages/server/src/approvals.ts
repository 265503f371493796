/**
 * Approvals over HTTP. A tenant's key (a Governor client) asks for an
 * approval and reads its tenant's (`/v1/approvals…`); operators list, read,
 * approve and reject every tenant's with the admin key (`/v1/admin/approvals…`).
 * A tenant's key decides only when the server allows it
 * (`tenantKeysDecideApprovals`, e.g. for an MCP host's user deciding through
 * the adapter): otherwise an agent could approve its own overspending.
 * Bodies and answers are snake_case, like the runtime plane; the decider is
 * the request's actor (`admin`, `key:<id>`) unless the body names one.
 */
import {
  type Approval,
  type ApprovalLedger,
  type ApprovalQuery,
  checkApprovalDecision,
  checkApprovalId,
  checkApprovalQuery,
  checkApprovalRequest,
  checkKey,
  checkTenant,
  ForbiddenError,
  isApprovalLedger,
  NotFoundError,
  TenantClosedError,
  toWire,
  validate,
} from '@governor/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from './server.js';
import { bodyFromWire, intParam, one, type Query } from './wire.js';

const ADMIN = { config: { plane: 'admin' as const } };
const RUNTIME = { config: { plane: 'runtime' as const } };

/** The body of an approve or reject: the decision itself is the route's. */
const decisionBody = z.strictObject({
  tenant: z.string().optional(),
  actor: z.string().optional(),
  note: z.string().optional(),
});

type Params = { id: string };

/** An approval as JSON: snake_case, `blocked_scope` included (the runtime wire drops `blockedScope`). */
export function approvalToWire(a: Approval): Record<string, unknown> {
  const { blockedScope, ...rest } = a;
  return { ...toWire(rest), ...(blockedScope !== undefined ? { blocked_scope: blockedScope } : {}) };
}

export interface ApprovalRouteOptions {
  /** A tenant's key may approve or reject its own tenant's approvals; default false (admin key only). */
  tenantKeysDecide?: boolean;
}

export function registerApprovals(app: FastifyInstance, ctx: ServerContext, options: ApprovalRouteOptions) {
  const ledger = (): ApprovalLedger => {
    if (!isApprovalLedger(ctx.ledger)) throw new NotFoundError("this server's ledger keeps no approvals");
    return ctx.ledger;
  };
  /**
   * The tenant a request is about: a tenant key's own (naming another is 403);
   * the admin key's must be named (`?tenant=` or the body's `tenant`).
   */
  const tenantOf = (request: FastifyRequest, named: unknown): string => {
    const own = request.principal?.tenantId;
    if (own === undefined) return checkTenant(named);
    if (named !== undefined && named !== own)
      throw new ForbiddenError(`tenant ${String(named)} is not the tenant of this API key`);
    return own;
  };
  const query = (request: FastifyRequest) => request.query as Query;

  app.post('/v1/approvals', RUNTIME, async (request) => {
    const approvalRequest = checkApprovalRequest(bodyFromWire(request.body));
    tenantOf(request, approvalRequest.subject.tenant);
    if (request.principal?.tenantStatus === 'CLOSED')
      throw new TenantClosedError(`tenant ${request.principal.tenantId} is closed`);
    return approvalToWire(await ctx.call('requestApproval', ledger().requestApproval(approvalRequest)));
  });

  const list = async (request: FastifyRequest) => {
    const q = query(request);
    const named = one(q, 'tenant');
    const filter = checkApprovalQuery({
      tenant: request.principal || named !== undefined ? tenantOf(request, named) : undefined,
      status: one(q, 'status'),
      limit: intParam(q, 'limit'),
    } satisfies Record<keyof ApprovalQuery, unknown>);
    const approvals = await ctx.call('listApprovals', ledger().listApprovals(filter));
    return { approvals: approvals.map(approvalToWire) };
  };
  app.get('/v1/approvals', RUNTIME, list);
  app.get('/v1/admin/approvals', ADMIN, list);

  /** The latest approval for a call's key (404 naming the key when there is none). */
  const lookup = async (request: FastifyRequest) => {
    const q = query(request);
    const tenant = tenantOf(request, one(q, 'tenant'));
    const key = checkKey(one(q, 'key'));
    const found = await ctx.call('findApproval', ledger().findApproval(tenant, key));
    if (!found) throw new NotFoundError(`no approval for key ${key} in tenant ${tenant}`, { tenant, key });
    return approvalToWire(found);
  };
  app.get('/v1/approvals/lookup', RUNTIME, lookup);
  app.get('/v1/admin/approvals/lookup', ADMIN, lookup);

  const get = async (request: FastifyRequest<{ Params: Params }>) => {
    const tenant = tenantOf(request, one(query(request), 'tenant'));
    const id = checkApprovalId(request.params.id);
    return approvalToWire(await ctx.call('getApproval', ledger().getApproval(tenant, id)));
  };
  app.get<{ Params: Params }>('/v1/approvals/:id', RUNTIME, get);
  app.get<{ Params: Params }>('/v1/admin/approvals/:id', ADMIN, get);

  const decide = (decision: 'APPROVE' | 'REJECT') => async (request: FastifyRequest<{ Params: Params }>) => {
    if (request.principal && options.tenantKeysDecide !== true)
      throw new ForbiddenError(
        'approving or rejecting needs the admin key (this server does not let tenant keys decide approvals)',
      );
    const body = validate(decisionBody, bodyFromWire(request.body ?? {}));
    const checked = checkApprovalDecision({
      tenant: tenantOf(request, body.tenant),
      approvalId: request.params.id,
      decision,
      ...(body.actor !== undefined ? { actor: body.actor } : {}),
      ...(body.note !== undefined ? { note: body.note } : {}),
    });
    return approvalToWire(await ctx.call('decideApproval', ledger().decideApproval(checked)));
  };
  for (const [path, decision] of [
    ['approve', 'APPROVE'],
    ['reject', 'REJECT'],
  ] as const) {
    app.post<{ Params: Params }>(`/v1/approvals/:id/${path}`, RUNTIME, decide(decision));
    app.post<{ Params: Params }>(`/v1/admin/approvals/:id/${path}`, ADMIN, decide(decision));
  }
}
