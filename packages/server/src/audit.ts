/**
 * The audit trail over HTTP: queries, chain verification, `explain`, a live
 * stream (server-sent events) and a force-release for operators. The admin
 * key sees every tenant (`/v1/admin/audit…`); a tenant's key sees its own
 * (`/v1/audit…`). Records go out exactly as the ledger keeps them (camelCase,
 * with `body`, the text their hash covers); query parameters are snake_case.
 */
import {
  type AuditQuery,
  type AuditTrail,
  explainReservation,
  ForbiddenError,
  isAuditTrail,
  NotFoundError,
} from '@governor/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerContext } from './server.js';
import { intParam, one, type Query } from './wire.js';

const ADMIN = { config: { plane: 'admin' as const } };
const RUNTIME = { config: { plane: 'runtime' as const } };
/** How often a live stream looks for new records, and how often it sends a keep-alive comment. */
const STREAM_POLL_MS = 100;
const STREAM_KEEPALIVE_MS = 15_000;

function queryOf(q: Query): AuditQuery {
  const out: Record<string, unknown> = {
    tenant: one(q, 'tenant'),
    scopePrefix: one(q, 'scope_prefix'),
    run: one(q, 'run'),
    reservationId: one(q, 'reservation_id'),
    decision: one(q, 'decision'),
    actionName: one(q, 'action_name'),
    operation: one(q, 'operation'),
    fromMs: intParam(q, 'from_ms'),
    toMs: intParam(q, 'to_ms'),
    after: one(q, 'after'),
    limit: intParam(q, 'limit'),
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as AuditQuery;
}

export function registerAudit(app: FastifyInstance, ctx: ServerContext) {
  const trail = (): AuditTrail => {
    if (!isAuditTrail(ctx.ledger)) throw new NotFoundError("this server's ledger keeps no audit trail");
    return ctx.ledger;
  };
  /** The query a request may make: a tenant key's is pinned to its tenant. */
  const scoped = (request: FastifyRequest): AuditQuery => {
    const q = queryOf(request.query as Query);
    if (!request.principal) return q;
    if (q.tenant !== undefined && q.tenant !== request.principal.tenantId)
      throw new ForbiddenError(`tenant ${q.tenant} is not the tenant of this API key`);
    return { ...q, tenant: request.principal.tenantId };
  };

  const query = async (request: FastifyRequest) =>
    ctx.call('audit query', trail().queryAudit(scoped(request)));
  app.get('/v1/admin/audit', ADMIN, query);
  app.get('/v1/audit', RUNTIME, query);

  app.get('/v1/admin/audit/verify', ADMIN, async (request) => {
    const tenant = one(request.query as Query, 'tenant');
    if (!tenant) throw new NotFoundError('give ?tenant=');
    return ctx.call('audit verify', trail().verifyAudit(tenant));
  });

  const explain = async (request: FastifyRequest<{ Params: { id: string } }>) => {
    // A tenant's key, or an id that spells its tenant (Redis), keeps the search to one trail.
    const tenant = request.principal?.tenantId ?? ctx.ownerOfReservation?.(request.params.id);
    // A tenant's key searches its own trail only: another tenant's reservation is not found.
    return ctx.call('explain', explainReservation(trail(), request.params.id, { tenant }));
  };
  app.get<{ Params: { id: string } }>('/v1/admin/audit/explain/:id', ADMIN, explain);
  app.get<{ Params: { id: string } }>('/v1/audit/explain/:id', RUNTIME, explain);

  // Open streams end when the server closes (they would hold its close otherwise).
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });
  const stream = (request: FastifyRequest, reply: FastifyReply) =>
    streamAudit(trail(), scoped(request), request, reply, open);
  app.get('/v1/admin/audit/stream', ADMIN, stream);
  app.get('/v1/audit/stream', RUNTIME, stream);

  // An operator's release of a live reservation (e.g. from the console): recorded as made by the admin key.
  app.post<{ Params: { id: string } }>('/v1/admin/reservations/:id/release', ADMIN, async (request) =>
    ctx.call(
      'release',
      ctx.ledger.release(request.params.id, {
        idempotencyKey: `admin-release-${request.params.id}`,
        reason: 'released by an operator',
      }),
    ),
  );
}

/** The cursor after the last record matching `q` now: following it from there sees only what comes next. */
export async function tailCursor(trail: AuditTrail, q: AuditQuery): Promise<string> {
  let page = await trail.queryAudit({ ...q, limit: 1_000 });
  while (page.hasMore) page = await trail.queryAudit({ ...q, after: page.cursor, limit: 1_000 });
  return page.cursor;
}

/**
 * Records as they are appended, as server-sent events (`event: audit`, `id`:
 * the cursor to resume from, sent back by EventSource as Last-Event-ID).
 * The server follows the trail; the client only listens.
 */
async function streamAudit(
  trail: AuditTrail,
  q: AuditQuery,
  request: FastifyRequest,
  reply: FastifyReply,
  open: Set<() => void>,
) {
  const resume = request.headers['last-event-id'];
  let after = typeof resume === 'string' && resume !== '' ? resume : q.after;
  // From now on: skip what is there already.
  if (after === undefined) after = await tailCursor(trail, q);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
    'X-Request-Id': request.id,
  });
  res.write(': governor audit stream\n\n');
  let closed = false;
  let wake: (() => void) | undefined;
  const end = () => {
    closed = true;
    wake?.();
  };
  open.add(end);
  request.raw.on('close', end);
  let idleSince = Date.now();
  while (!closed) {
    try {
      const page = await trail.queryAudit({ ...q, after, limit: 500 });
      // The cursor goes with the page's last record: a client that resumes from it may see a few twice.
      for (const [i, record] of page.records.entries()) {
        const id = i === page.records.length - 1 ? `id: ${page.cursor}\n` : '';
        res.write(`event: audit\n${id}data: ${JSON.stringify(record)}\n\n`);
      }
      if (page.records.length > 0) idleSince = Date.now();
      after = page.cursor;
      if (page.hasMore) continue;
    } catch (error) {
      res.write(`event: error\ndata: ${JSON.stringify({ message: (error as Error).message })}\n\n`);
    }
    if (Date.now() - idleSince > STREAM_KEEPALIVE_MS) {
      res.write(': keep-alive\n\n');
      idleSince = Date.now();
    }
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, STREAM_POLL_MS);
    });
  }
  open.delete(end);
  res.end();
}
