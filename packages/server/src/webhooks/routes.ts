/**
 * Webhook subscriptions on the admin plane:
 * `POST/GET /v1/admin/tenants/:tenant/webhooks`, `GET/DELETE …/webhooks/:id`,
 * `GET …/webhooks/:id/deliveries`, `POST …/webhooks/:id/enable`.
 * The secret is shown once, in the answer of the creation.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  InvalidRequestError,
  isAuditTrail,
  NotFoundError,
  TenantClosedError,
  toWire,
  validate,
} from '@governor/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { tailCursor } from '../audit.js';
import type { ServerContext } from '../server.js';
import type { WebhookRecord } from '../store.js';
import { bodyFromWire, intParam, type Query } from '../wire.js';
import { DEFAULT_THRESHOLDS, WEBHOOK_EVENT_TYPES } from './events.js';
import { checkTarget, type TargetPolicy, TargetRefusedError } from './targets.js';

const ADMIN = { config: { plane: 'admin' as const } };

const webhookCreate = z.strictObject({
  url: z.string().min(1).max(2_048),
  eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length),
  thresholds: z.array(z.number().positive().max(1_000)).min(1).max(20).optional(),
  enabled: z.boolean().optional(),
  description: z.string().max(256).optional(),
});
const deliveriesLimit = z.number().int().min(1).max(1_000);

type Params = { tenant: string; id: string };

const webhookView = ({ secret: _secret, cursor: _cursor, ...w }: WebhookRecord) => toWire(w);

export function registerWebhooks(app: FastifyInstance, ctx: ServerContext, policy: TargetPolicy) {
  const { store, now } = ctx;

  const tenantOr404 = async (tenantId: string) => {
    const t = await store.getTenant(tenantId);
    if (!t) throw new NotFoundError(`tenant ${tenantId} not found`);
    return t;
  };
  const webhookOr404 = async ({ tenant, id }: Params) => {
    const w = await store.getWebhook(id);
    if (!w || w.tenantId !== tenant) throw new NotFoundError(`webhook ${id} of tenant ${tenant} not found`);
    return w;
  };

  app.post<{ Params: Pick<Params, 'tenant'> }>(
    '/v1/admin/tenants/:tenant/webhooks',
    ADMIN,
    async (request, reply) => {
      const tenant = await tenantOr404(request.params.tenant);
      if (tenant.status === 'CLOSED') throw new TenantClosedError(`tenant ${tenant.tenantId} is closed`);
      const body = validate(webhookCreate, bodyFromWire(request.body));
      try {
        await checkTarget(body.url, policy);
      } catch (error) {
        if (!(error instanceof TargetRefusedError)) throw error;
        throw new InvalidRequestError([{ path: 'url', message: error.message }]);
      }
      const ledger = ctx.ledger;
      if (!isAuditTrail(ledger))
        throw new InvalidRequestError("this server's ledger keeps no audit trail: webhooks follow it");
      // Deliver what happens from now on.
      const cursor = await ctx.call('audit query', tailCursor(ledger, { tenant: tenant.tenantId }));
      const record: WebhookRecord = {
        webhookId: `wh_${randomUUID().replaceAll('-', '')}`,
        tenantId: tenant.tenantId,
        url: body.url,
        eventTypes: [...new Set(body.eventTypes)],
        thresholds: [...new Set(body.thresholds ?? DEFAULT_THRESHOLDS)].sort((a, b) => a - b),
        secret: `whsec_${randomBytes(32).toString('base64url')}`,
        ...(body.description !== undefined ? { description: body.description } : {}),
        createdAtMs: now(),
        enabled: body.enabled ?? true,
        consecutiveFailures: 0,
        cursor,
      };
      await store.createWebhook(record);
      // The only time the secret is ever shown.
      return reply.code(201).send({ ...webhookView(record), secret: record.secret });
    },
  );

  app.get<{ Params: Pick<Params, 'tenant'> }>(
    '/v1/admin/tenants/:tenant/webhooks',
    ADMIN,
    async (request) => {
      await tenantOr404(request.params.tenant);
      return { webhooks: (await store.listWebhooks(request.params.tenant)).map(webhookView) };
    },
  );

  app.get<{ Params: Params }>('/v1/admin/tenants/:tenant/webhooks/:id', ADMIN, async (request) =>
    webhookView(await webhookOr404(request.params)),
  );

  app.delete<{ Params: Params }>('/v1/admin/tenants/:tenant/webhooks/:id', ADMIN, async (request) => {
    const w = await webhookOr404(request.params);
    await store.deleteWebhook(w.webhookId);
    return { ...webhookView(w), deleted: true };
  });

  app.post<{ Params: Params }>('/v1/admin/tenants/:tenant/webhooks/:id/enable', ADMIN, async (request) => {
    const w = await webhookOr404(request.params);
    const next = await store.updateWebhook(w.webhookId, {
      enabled: true,
      consecutiveFailures: 0,
      disabledAtMs: null,
      disabledReason: null,
      // The event that failed last is tried again at once, its attempts counted on.
      ...(w.retry ? { retry: { ...w.retry, notBeforeMs: 0 } } : {}),
    });
    if (!next) throw new NotFoundError(`webhook ${w.webhookId} not found`);
    return webhookView(next);
  });

  app.get<{ Params: Params }>('/v1/admin/tenants/:tenant/webhooks/:id/deliveries', ADMIN, async (request) => {
    const w = await webhookOr404(request.params);
    const limit = validate(deliveriesLimit, intParam(request.query as Query, 'limit') ?? 100, ['limit']);
    return { deliveries: (await store.listDeliveries(w.webhookId, limit)).map((d) => toWire(d)) };
  });
}
