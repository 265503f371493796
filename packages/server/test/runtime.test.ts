/**
 * The runtime plane's wire: status codes, only the schemas' fields, the error
 * envelope, idempotency headers and replays, correlation headers, auth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContract } from '../../core/test/support/openapi.js';
import { admin, reserveBody, startTestServer, type TestServer } from './support.js';

let t: TestServer;
const contract = loadContract();
const valid = (schema: string, body: unknown) =>
  expect(contract.check(schema, body), JSON.stringify(body)).toBeUndefined();

beforeAll(async () => {
  t = await startTestServer();
  await t.ledger.createBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: 1_000 });
  await t.ledger.createBudget({ scope: 'tenant:globex', unit: 'USD_MICROCENTS', allocated: 1_000 });
});
afterAll(() => t.close());

describe('runtime plane: status codes and bodies', () => {
  it('reserve → commit: 200s with exactly the schema fields, remaining_ttl_ms on create', async () => {
    const created = await t.req('POST', '/v1/reservations', { body: reserveBody({ ttl_ms: 10_000 }) });
    expect(created.status).toBe(200);
    valid('ReservationCreateResponse', created.body);
    expect(created.body.remaining_ttl_ms).toBe(10_000);
    expect(created.headers['x-cycles-tenant']).toBe('acme');
    const id = created.body.reservation_id;
    const extended = await t.req('POST', `/v1/reservations/${id}/extend`, {
      body: { idempotency_key: 'ext-1', extend_by_ms: 5_000 },
    });
    expect(extended.status).toBe(200);
    valid('ReservationExtendResponse', extended.body);
    expect(extended.body.remaining_ttl_ms).toBe(15_000);
    const committed = await t.req('POST', `/v1/reservations/${id}/commit`, {
      body: { idempotency_key: 'cmt-1', actual: { unit: 'USD_MICROCENTS', amount: 60 } },
    });
    expect(committed.status).toBe(200);
    valid('CommitResponse', committed.body);
    const detail = await t.req('GET', `/v1/reservations/${id}`);
    expect(detail.status).toBe(200);
    valid('ReservationDetail', detail.body);
    expect(detail.body.status).toBe('COMMITTED');
  });

  it('a live DENY is 409 with the reason as the error code; dry-run DENY and decide DENY are 200', async () => {
    const big = { estimate: { unit: 'USD_MICROCENTS', amount: 5_000 } };
    const live = await t.req('POST', '/v1/reservations', { body: reserveBody(big) });
    expect(live.status).toBe(409);
    valid('ErrorResponse', live.body);
    expect(live.body).toMatchObject({ error: 'BUDGET_EXCEEDED', details: { scope: 'tenant:acme' } });
    const dry = await t.req('POST', '/v1/reservations', { body: reserveBody({ ...big, dry_run: true }) });
    expect(dry.status).toBe(200);
    valid('ReservationCreateResponse', dry.body);
    expect(dry.body).toMatchObject({ decision: 'DENY', reason_code: 'BUDGET_EXCEEDED' });
    expect(dry.headers['x-governor-blocked-scope']).toBe('tenant:acme');
    const decided = await t.req('POST', '/v1/decide', {
      body: { idempotency_key: 'd-1', subject: { tenant: 'acme' }, action: { kind: 'a', name: 'b' }, ...big },
    });
    expect(decided.status).toBe(200);
    valid('DecisionResponse', decided.body);
    expect(decided.body.decision).toBe('DENY');
  });

  it('a RATE_LIMITED live reserve is 429 LIMIT_EXCEEDED with Retry-After; LOOP_DETECTED is 409', async () => {
    await t.ledger.createBudget({
      scope: 'tenant:acme',
      unit: 'CREDITS',
      allocated: 1_000,
      rateLimits: [{ maxCalls: 1, windowMs: 30_000 }],
    });
    const credits = { estimate: { unit: 'CREDITS', amount: 1 } };
    expect((await t.req('POST', '/v1/reservations', { body: reserveBody(credits) })).status).toBe(200);
    const limited = await t.req('POST', '/v1/reservations', { body: reserveBody(credits) });
    expect(limited.status).toBe(429);
    valid('ErrorResponse', limited.body);
    expect(limited.headers['retry-after']).toBe('30');
    expect(limited.body).toMatchObject({
      error: 'LIMIT_EXCEEDED',
      details: { reason_code: 'RATE_LIMITED', retry_after_ms: 30_000, scope: 'tenant:acme' },
    });
    const dry = await t.req('POST', '/v1/reservations', { body: reserveBody({ ...credits, dry_run: true }) });
    expect(dry.status).toBe(200);
    valid('ReservationCreateResponse', dry.body);
    expect(dry.body).toMatchObject({ decision: 'DENY', reason_code: 'RATE_LIMITED', retry_after_ms: 30_000 });

    const loop = { 'governor.loop': { argsHash: 'abcdef0123456789', threshold: 2, windowMs: 60_000 } };
    const looped = { metadata: loop, action: { kind: 'tool.call', name: 'send_email' } };
    expect((await t.req('POST', '/v1/reservations', { body: reserveBody(looped) })).status).toBe(200);
    const again = await t.req('POST', '/v1/reservations', { body: reserveBody(looped) });
    expect(again.status).toBe(409);
    valid('ErrorResponse', again.body);
    expect(again.body).toMatchObject({ details: { reason_code: 'LOOP_DETECTED' } });
  });

  it('events are 201, in their own idempotency namespace (a commit key can be reused)', async () => {
    const r = await t.req('POST', '/v1/reservations', { body: reserveBody() });
    const key = 'shared-key-1';
    const c = await t.req('POST', `/v1/reservations/${r.body.reservation_id}/commit`, {
      body: { idempotency_key: key, actual: { unit: 'USD_MICROCENTS', amount: 1 } },
    });
    expect(c.status).toBe(200);
    const event = {
      idempotency_key: key,
      subject: { tenant: 'acme' },
      action: { kind: 'a', name: 'b' },
      actual: { unit: 'USD_MICROCENTS', amount: 3 },
    };
    const e = await t.req('POST', '/v1/events', { body: event });
    expect(e.status).toBe(201);
    valid('EventCreateResponse', e.body);
    const replay = await t.req('POST', '/v1/events', { body: event });
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(e.body);
    const mismatch = await t.req('POST', '/v1/events', {
      body: { ...event, actual: { unit: 'USD_MICROCENTS', amount: 4 } },
    });
    expect(mismatch.status).toBe(409);
    expect(mismatch.body.error).toBe('IDEMPOTENCY_MISMATCH');
  });

  it('replays a reserve with the original answer (remaining_ttl_ms recomputed)', async () => {
    const body = reserveBody({ ttl_ms: 20_000 });
    const first = await t.req('POST', '/v1/reservations', { body });
    t.clock.advance(1_000);
    const again = await t.req('POST', '/v1/reservations', { body });
    expect(again.body.reservation_id).toBe(first.body.reservation_id);
    expect(again.body.remaining_ttl_ms).toBe(19_000);
  });

  it('X-Idempotency-Key must equal the body key', async () => {
    const body = reserveBody();
    const bad = await t.req('POST', '/v1/reservations', { body, headers: { 'x-idempotency-key': 'other' } });
    expect(bad.status).toBe(400);
    valid('ErrorResponse', bad.body);
    expect(bad.body.message).toMatch(/idempotency_key: must equal the X-Idempotency-Key header/);
    const good = await t.req('POST', '/v1/reservations', {
      body,
      headers: { 'x-idempotency-key': body.idempotency_key },
    });
    expect(good.status).toBe(200);
  });

  it('names invalid fields as the wire spells them; camelCase and unknown fields are refused', async () => {
    const bad = await t.req('POST', '/v1/reservations', { body: reserveBody({ ttl_ms: 5 }) });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('ttl_ms: must be an integer from 1000 to 86400000');
    const camel = await t.req('POST', '/v1/reservations', { body: { ...reserveBody(), ttlMs: 5_000 } });
    expect(camel.status).toBe(400);
    expect(camel.body.message).toMatch(/ttlMs: is not a known field/);
  });

  it('balances need a subject filter; 410 for an expired reservation; 404 for an unknown one', async () => {
    expect((await t.req('GET', '/v1/balances')).status).toBe(400);
    const b = await t.req('GET', '/v1/balances?tenant=acme&include_children=true');
    expect(b.status).toBe(200);
    valid('BalanceResponse', b.body);
    const r = await t.req('POST', '/v1/reservations', {
      body: reserveBody({ ttl_ms: 1_000, grace_period_ms: 0 }),
    });
    t.clock.advance(2_000);
    const late = await t.req('POST', `/v1/reservations/${r.body.reservation_id}/commit`, {
      body: { idempotency_key: 'late', actual: { unit: 'USD_MICROCENTS', amount: 1 } },
    });
    expect(late.status).toBe(410);
    expect(late.body.error).toBe('RESERVATION_EXPIRED');
    const missing = await t.req('GET', '/v1/reservations/rsv_nope');
    expect(missing.status).toBe(404);
    valid('ErrorResponse', missing.body);
    const list = await t.req('GET', '/v1/reservations?status=EXPIRED&include=metadata,,');
    expect(list.status).toBe(200);
    valid('ReservationListResponse', list.body);
  });
});

describe('headers and correlation', () => {
  it('X-Request-Id on every response; a valid traceparent is joined, a malformed one ignored', async () => {
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const r = await t.req('GET', '/v1/balances?tenant=acme', {
      headers: { traceparent: `00-${trace}-00f067aa0ba902b7-00` },
    });
    expect(r.headers['x-request-id']).toMatch(/^req_/);
    expect(r.headers['x-cycles-trace-id']).toBe(trace);
    expect(String(r.headers.traceparent)).toMatch(new RegExp(`^00-${trace}-[0-9a-f]{16}-00$`));
    const flat = await t.req('GET', '/v1/balances?tenant=acme', {
      headers: { traceparent: 'garbage', 'x-cycles-trace-id': trace.replace('4', '5') },
    });
    expect(flat.headers['x-cycles-trace-id']).toBe(trace.replace('4', '5'));
    const none = await t.req('GET', '/nowhere', { key: null });
    expect(none.status).toBe(404);
    expect(none.headers['x-request-id']).toBeTruthy();
    expect(none.headers['x-cycles-trace-id']).toMatch(/^[0-9a-f]{32}$/);
    const e = await t.req('POST', '/v1/reservations', {
      body: reserveBody({ ttl_ms: 1 }),
      headers: { 'x-cycles-trace-id': trace },
    });
    expect(e.body.trace_id).toBe(trace);
    expect(e.body.request_id).toBe(e.headers['x-request-id']);
  });
});

describe('auth and tenancy', () => {
  it('401 without a key or with an unknown one, on GET too; 403 for another tenant', async () => {
    for (const key of [null, 'nope', 'gov_0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      const r = await t.req('GET', '/v1/balances?tenant=acme', { key });
      expect(r.status).toBe(401);
      valid('ErrorResponse', r.body);
      expect(r.body.error).toBe('UNAUTHORIZED');
    }
    const other = await t.req('GET', '/v1/balances?tenant=globex');
    expect(other.status).toBe(403);
    expect(other.body.error).toBe('FORBIDDEN');
  });

  it('health needs no key; metrics need the admin key', async () => {
    for (const path of ['/healthz', '/actuator/health/readiness', '/actuator/health/liveness']) {
      const r = await t.req('GET', path, { key: null });
      expect(r.status, path).toBe(200);
      expect(r.body).toEqual({ status: 'UP' });
    }
    expect((await t.req('GET', '/metrics', { key: null })).status).toBe(401);
    const m = await t.req('GET', '/metrics', { key: null, headers: admin() });
    expect(m.status).toBe(200);
    expect(m.text).toMatch(
      /governor_http_requests_total\{method="POST",route="\/v1\/reservations",status="200"\}/,
    );
    expect(m.text).toMatch(/governor_decisions_total/);
  });

  it('a key shown once works, is stored hashed, and stops at once when revoked; suspend is 403, close revokes', async () => {
    await t.req('POST', '/v1/admin/tenants', { key: null, headers: admin(), body: { tenant_id: 'initech' } });
    const created = await t.req('POST', '/v1/admin/tenants/initech/api-keys', {
      key: null,
      headers: admin(),
      body: { name: 'ci' },
    });
    expect(created.status).toBe(201);
    const apiKey = created.body.api_key as string;
    const stored = await t.server.store.getKey(created.body.key_id);
    expect(JSON.stringify(stored)).not.toContain(apiKey.split('.')[1]);
    const listed = await t.req('GET', '/v1/admin/tenants/initech/api-keys', { key: null, headers: admin() });
    expect(JSON.stringify(listed.body)).not.toContain(apiKey.split('.')[1]);
    expect((await t.req('GET', '/v1/balances?tenant=initech', { key: apiKey })).status).toBe(200);
    await t.req('POST', '/v1/admin/tenants/initech/suspend', { key: null, headers: admin() });
    expect((await t.req('GET', '/v1/balances?tenant=initech', { key: apiKey })).status).toBe(403);
    await t.req('POST', '/v1/admin/tenants/initech/reactivate', { key: null, headers: admin() });
    expect((await t.req('GET', '/v1/balances?tenant=initech', { key: apiKey })).status).toBe(200);
    await t.req('POST', `/v1/admin/api-keys/${created.body.key_id}/revoke`, { key: null, headers: admin() });
    expect((await t.req('GET', '/v1/balances?tenant=initech', { key: apiKey })).status).toBe(401);
    const second = await t.req('POST', '/v1/admin/tenants/initech/api-keys', { key: null, headers: admin() });
    await t.ledger.createBudget({ scope: 'tenant:initech', unit: 'TOKENS', allocated: 10 });
    const closed = await t.req('POST', '/v1/admin/tenants/initech/close', { key: null, headers: admin() });
    expect(closed.body.status).toBe('CLOSED');
    expect((await t.req('GET', '/v1/balances?tenant=initech', { key: second.body.api_key })).status).toBe(
      401,
    );
    expect((await t.ledger.getBudget({ scope: 'tenant:initech', unit: 'TOKENS' }))?.status).toBe('CLOSED');
  });
});

describe('limits', () => {
  it('429 LIMIT_EXCEEDED with an integer Retry-After past the per-key rate', async () => {
    const limited = await startTestServer({ rateLimit: { max: 3, timeWindowMs: 60_000 } });
    try {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof limited.req>> | undefined;
      for (let i = 0; i < 5; i++) {
        last = await limited.req('GET', '/v1/balances?tenant=acme');
        statuses.push(last.status);
      }
      expect(statuses.slice(0, 3).every((s) => s !== 429)).toBe(true);
      expect(last?.status).toBe(429);
      valid('ErrorResponse', last?.body);
      expect(last?.body.error).toBe('LIMIT_EXCEEDED');
      expect(String(last?.headers['retry-after'])).toMatch(/^\d+$/);
      // Another key has its own budget of requests.
      expect((await limited.req('GET', '/v1/balances?tenant=globex', { key: 'globex' })).status).not.toBe(
        429,
      );
    } finally {
      await limited.close();
    }
  });

  it('413 for a body past the limit', async () => {
    const r = await t.req('POST', '/v1/reservations', { raw: JSON.stringify({ x: 'y'.repeat(70_000) }) });
    expect(r.status).toBe(413);
    valid('ErrorResponse', r.body);
  });
});
