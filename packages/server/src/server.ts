/**
 * `createServer`: the Cycles Protocol v0 runtime plane and Governor's admin
 * plane on fastify, over any Ledger (MemoryAuthority, RedisAuthority, …).
 *
 *   const server = await createServer({ authority: new MemoryAuthority(), adminKey });
 *   const url = await server.listen({ port: 7878 });
 */
import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import {
  ForbiddenError,
  GovernorError,
  InternalError,
  isAuditTrail,
  type Ledger,
  LimitExceededError,
  UnauthorizedError,
  withAuditContext,
} from '@governor/core';
import type { Span } from '@opentelemetry/api';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import { registerAdmin } from './admin.js';
import { registerApprovals } from './approvals.js';
import { registerAudit } from './audit.js';
import { findConsoleDir, registerConsole } from './console.js';
import { keyFingerprint, parseApiKey, sameSecret, verifySecret } from './keys.js';
import { ServerMetrics } from './metrics.js';
import { registerRuntime } from './runtime.js';
import { type IdentityStore, MemoryIdentityStore, type TenantRecord, type TenantStatus } from './store.js';
import { startRequestSpan, type TraceInfo, traceOf, traceparentOf } from './tracing.js';
import { registerWebhooks } from './webhooks/routes.js';
import { type WebhookOptions, WebhookWorker } from './webhooks/worker.js';
import { errorBody } from './wire.js';

export type Plane = 'runtime' | 'admin' | 'public';

export interface RateLimitOptions {
  /** Requests per key per window; default 2,000. */
  max?: number;
  /** Window in ms; default 1,000. */
  timeWindowMs?: number;
  /** Count in Redis (shared by every instance) instead of in this process. */
  redis?: Redis | Cluster;
  /** Key prefix of the Redis counters; default `governor-rate-limit:`. */
  nameSpace?: string;
}

export interface ServerOptions {
  /** The ledger behind the runtime plane (and the budgets of the admin plane). */
  authority: Ledger;
  /** Tenants, keys, admin idempotency: default in memory (use RedisIdentityStore next to Redis). */
  store?: IdentityStore;
  /** The admin key (X-Admin-API-Key); without one the admin plane and /metrics refuse every request. */
  adminKey?: string;
  /** Largest request body in bytes; default 64 KiB (413 beyond). */
  bodyLimit?: number;
  /** Whole-request deadline (receiving the request) in ms; default 10,000. */
  requestTimeoutMs?: number;
  /** Deadline of each ledger call in ms; default 10,000 (then 500 INTERNAL_ERROR). */
  operationTimeoutMs?: number;
  /** Per-key rate limit (429 LIMIT_EXCEEDED with Retry-After); `false` for none. */
  rateLimit?: RateLimitOptions | false;
  /**
   * The owning tenant of a reservation id, when the id spells it (saves a
   * ledger read per commit/release/extend); otherwise the server reads the reservation.
   */
  ownerOfReservation?: (reservationId: string) => string | undefined;
  /** Readiness probe (e.g. a Redis PING); default always ready. */
  ready?: () => Promise<boolean>;
  /**
   * How long this instance reuses a tenant record it read, in ms; default 1,000
   * (0: read it on every request). Keys are read on every request, so a
   * revocation applies at once everywhere; a suspension made through another
   * instance applies within this time (through this instance, at once).
   */
  tenantCacheMs?: number;
  /** Wall clock of the identity store (tenant/key timestamps); default Date.now. */
  now?: () => number;
  /** fastify's logger; default off. */
  logger?: boolean;
  /**
   * Webhooks: receiver URL rules and the delivery worker (on by default when
   * the ledger keeps an audit trail; `deliver: false` leaves delivery to other instances).
   */
  webhooks?: WebhookOptions;
  /**
   * Serve the operator console at /console/: `true` for the built console
   * (packages/console), or a directory of built console files. Default off.
   */
  console?: boolean | string;
  /**
   * Let a tenant's API key approve or reject its own tenant's approvals
   * (`/v1/approvals/:id/approve|reject`), e.g. when an MCP host's user decides
   * through the adapter. Default false: only the admin key decides, so an
   * agent cannot approve its own overspending.
   */
  tenantKeysDecideApprovals?: boolean;
}

export interface Principal {
  tenantId: string;
  keyId: string;
  tenantStatus: TenantStatus;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    trace: TraceInfo;
    span: Span | null;
    startedAt: bigint;
  }
  interface FastifyContextConfig {
    plane?: Plane;
  }
}

export interface ServerContext {
  ledger: Ledger;
  store: IdentityStore;
  metrics: ServerMetrics;
  now: () => number;
  /** Run a ledger call under the operation deadline. */
  call<T>(operation: string, work: Promise<T>): Promise<T>;
  ownerOfReservation: ServerOptions['ownerOfReservation'];
  tenants: TenantCache;
}

export interface GovernorServer {
  app: FastifyInstance;
  store: IdentityStore;
  metrics: ServerMetrics;
  /** Listen; resolves with the base URL, e.g. http://127.0.0.1:7878. */
  listen(options?: { port?: number; host?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function createServer(options: ServerOptions): Promise<GovernorServer> {
  const ledger = options.authority;
  const store = options.store ?? new MemoryIdentityStore();
  const metrics = new ServerMetrics();
  const now = options.now ?? Date.now;
  const operationTimeoutMs = options.operationTimeoutMs ?? 10_000;
  const adminKey = options.adminKey;
  const tenants = new TenantCache(store, options.tenantCacheMs ?? 1_000);

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    connectionTimeout: 0,
    keepAliveTimeout: 72_000,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    genReqId: () => `req_${randomUUID().replaceAll('-', '')}`,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 256 },
  });

  app.decorateRequest('principal', null);
  app.decorateRequest('span', null);
  app.decorateRequest('trace', null as unknown as TraceInfo);
  app.decorateRequest('startedAt', 0n);

  const call = async <T>(operation: string, work: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new InternalError(`${operation}: the ledger did not answer within ${operationTimeoutMs} ms`),
          ),
        operationTimeoutMs,
      );
    });
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
  const ctx: ServerContext = {
    ledger,
    store,
    metrics,
    now,
    call,
    ownerOfReservation: options.ownerOfReservation,
    tenants,
  };

  // Correlation first: every response, 2xx to 5xx, carries X-Request-Id and X-Cycles-Trace-Id.
  app.addHook('onRequest', async (request, reply) => {
    request.startedAt = process.hrtime.bigint();
    request.trace = traceOf(request.headers);
    const route = request.routeOptions.url ?? 'unmatched';
    request.span = startRequestSpan(`${request.method} ${route}`, request.trace, {
      'http.request.method': request.method,
      'http.route': route,
      'governor.request_id': request.id,
    });
    reply.header('X-Request-Id', request.id);
    reply.header('X-Cycles-Trace-Id', request.trace.traceId);
    reply.header('traceparent', traceparentOf(request.trace, request.span));
  });

  // Authentication, by plane: the runtime needs a tenant's key, the admin plane the admin key.
  app
    .addHook('onRequest', async (request, reply) => {
      const plane = request.routeOptions.config?.plane;
      if (plane === 'runtime') {
        request.principal = await authenticate(request, store, tenants);
        reply.header('X-Cycles-Tenant', request.principal.tenantId);
        request.span?.setAttribute('governor.tenant', request.principal.tenantId);
      } else if (plane === 'admin') {
        const given = request.headers['x-admin-api-key'];
        if (adminKey === undefined) {
          throw new UnauthorizedError('the admin plane is disabled: start the server with an admin key');
        }
        if (typeof given !== 'string' || !sameSecret(given, adminKey)) {
          metrics.authFailures.inc({ plane: 'admin' });
          throw new UnauthorizedError('a valid X-Admin-API-Key is required');
        }
      }
    })
    .addHook('onError', async (request, _reply, error) => {
      if (error instanceof UnauthorizedError && request.routeOptions.config?.plane === 'runtime') {
        metrics.authFailures.inc({ plane: 'runtime' });
      }
    });

  // Ledger calls made for a request are recorded in the audit trail as made by its key.
  app.addHook('preHandler', (request, _reply, done) => {
    const plane = request.routeOptions.config?.plane;
    const actor = request.principal
      ? `key:${request.principal.keyId}`
      : plane === 'admin'
        ? 'admin'
        : undefined;
    if (actor === undefined) return done();
    withAuditContext({ actor, traceId: request.trace.traceId }, done);
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = Number(process.hrtime.bigint() - request.startedAt) / 1e9;
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, seconds);
    request.span?.setAttribute('http.response.status_code', reply.statusCode);
    request.span?.end();
  });

  app.setErrorHandler((error: FastifyError | GovernorError | Error, request, reply) => {
    const traceId = request.trace?.traceId ?? '';
    if (GovernorError.isInstance(error)) {
      const e = error as GovernorError;
      if (e.code === 'LIMIT_EXCEEDED') {
        const ms = (e as LimitExceededError).retryAfterMs ?? 1_000;
        const seconds = Math.max(0, Math.ceil(ms / 1000));
        reply.header('Retry-After', String(seconds));
        reply.header('X-RateLimit-Reset', String(Math.ceil(now() / 1000) + seconds));
      }
      if (e.status >= 500) request.log.error({ err: error }, 'ledger failure');
      return reply.code(e.status).send(errorBody(e, request.id, traceId));
    }
    const status = (error as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message =
        status === 413
          ? `the request body is larger than ${options.bodyLimit ?? 64 * 1024} bytes`
          : error.message;
      return reply.code(status).send({
        error: status === 429 ? 'LIMIT_EXCEEDED' : 'INVALID_REQUEST',
        message,
        request_id: request.id,
        trace_id: traceId,
      });
    }
    request.log.error({ err: error }, 'unexpected failure');
    return reply.code(500).send({
      error: 'INTERNAL_ERROR',
      message: 'internal error',
      request_id: request.id,
      trace_id: traceId,
    });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: 'NOT_FOUND',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
      request_id: request.id,
      trace_id: request.trace?.traceId ?? '',
    }),
  );

  if (options.rateLimit !== false) {
    const limits = options.rateLimit ?? {};
    await app.register(rateLimit, {
      global: true,
      max: limits.max ?? 2_000,
      timeWindow: limits.timeWindowMs ?? 1_000,
      ...(limits.redis ? { redis: limits.redis, nameSpace: limits.nameSpace ?? 'governor-rate-limit:' } : {}),
      skipOnError: false,
      allowList: (request: FastifyRequest) => {
        const plane = request.routeOptions.config?.plane;
        return plane !== 'runtime' && plane !== 'admin';
      },
      keyGenerator: (request: FastifyRequest) =>
        request.principal ? `key:${request.principal.keyId}` : `admin:${request.ip}`,
      errorResponseBuilder: (_request, context) =>
        new LimitExceededError(`rate limit exceeded: ${context.max} requests per window`, context.ttl),
    });
  }

  app.get('/healthz', { config: { plane: 'public' } }, async () => ({ status: 'UP' }));
  app.get('/actuator/health/liveness', { config: { plane: 'public' } }, async () => ({ status: 'UP' }));
  app.get('/actuator/health/readiness', { config: { plane: 'public' } }, async (_request, reply) => {
    const ok = await (options.ready?.() ?? Promise.resolve(true)).catch(() => false);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'UP' : 'DOWN' });
  });
  app.get('/metrics', { config: { plane: 'admin' } }, async (_request, reply) =>
    reply.header('Content-Type', metrics.contentType).send(await metrics.text()),
  );

  registerRuntime(app, ctx);
  registerAdmin(app, ctx);
  registerAudit(app, ctx);
  registerApprovals(app, ctx, { tenantKeysDecide: options.tenantKeysDecideApprovals === true });
  const webhooks = options.webhooks ?? {};
  registerWebhooks(app, ctx, webhooks);
  if (isAuditTrail(ledger) && webhooks.deliver !== false) {
    const worker = new WebhookWorker(ledger, store, webhooks, app.log);
    worker.start();
    app.addHook('onClose', () => worker.stop());
  }
  if (options.console) {
    await registerConsole(app, options.console === true ? findConsoleDir() : options.console);
  }

  return {
    app,
    store,
    metrics,
    async listen({ port = 7878, host = '127.0.0.1' } = {}) {
      await app.listen({ port, host });
      const address = app.server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      return `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
    },
    async close() {
      await app.close();
    },
  };
}

/** Tenant records, reused for a short while (keys never are). */
export class TenantCache {
  readonly #entries = new Map<string, { record: TenantRecord | undefined; until: number }>();
  constructor(
    readonly store: IdentityStore,
    readonly ttlMs: number,
  ) {}
  async get(tenantId: string): Promise<TenantRecord | undefined> {
    const now = Date.now();
    const hit = this.#entries.get(tenantId);
    if (hit && hit.until > now) return hit.record;
    const record = await this.store.getTenant(tenantId);
    if (this.ttlMs > 0) {
      if (this.#entries.size > 10_000) this.#entries.clear();
      this.#entries.set(tenantId, { record, until: now + this.ttlMs });
    }
    return record;
  }
  forget(tenantId: string) {
    this.#entries.delete(tenantId);
  }
}

async function authenticate(
  request: FastifyRequest,
  store: IdentityStore,
  tenants: TenantCache,
): Promise<Principal> {
  const presented = request.headers['x-cycles-api-key'];
  if (typeof presented !== 'string' || presented === '') {
    throw new UnauthorizedError('X-Cycles-API-Key is required');
  }
  const parsed = parseApiKey(presented);
  const record = parsed ? await store.getKey(parsed.keyId) : undefined;
  if (!parsed || !record || record.status !== 'ACTIVE' || !verifySecret(record, parsed.secret)) {
    throw new UnauthorizedError('the API key is not valid');
  }
  const tenant = await tenants.get(record.tenantId);
  if (!tenant) throw new UnauthorizedError('the API key is not valid');
  if (tenant.status === 'SUSPENDED') throw new ForbiddenError(`tenant ${tenant.tenantId} is suspended`);
  return { tenantId: record.tenantId, keyId: record.keyId, tenantStatus: tenant.status };
}

export { keyFingerprint };
