/**
 * The audit trail over HTTP: who sees what, the actor of each record (the key
 * that made the call), explain, verify, the live stream and force-release.
 */

import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, reserveBody, startTestServer, type TestServer } from './support.js';

let t: TestServer;
const USD = 'USD_MICROCENTS';

beforeAll(async () => {
  t = await startTestServer();
  await t.ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 1_000 });
  await t.ledger.createBudget({ scope: 'tenant:globex', unit: USD, allocated: 1_000 });
});
afterAll(() => t.close());

/** Read server-sent events from `path` until `until` says enough; returns the audit records seen. */
async function readStream(
  path: string,
  headers: Record<string, string>,
  until: (records: { operation: string; decision?: string }[]) => boolean,
) {
  const controller = new AbortController();
  const res = await undiciRequest(`${t.url}${path}`, { headers, signal: controller.signal });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/text\/event-stream/);
  const records: { operation: string; decision?: string; tenant: string }[] = [];
  let buffer = '';
  const done = (async () => {
    for await (const chunk of res.body) {
      buffer += chunk.toString();
      for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
        const event = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const data = event.split('\n').find((l) => l.startsWith('data: '));
        if (event.includes('event: audit') && data) records.push(JSON.parse(data.slice(6)));
      }
      if (until(records)) break;
    }
  })();
  return {
    records,
    done,
    close: () => controller.abort(),
  };
}

describe('audit over HTTP', () => {
  it('records runtime calls as made by their key and admin calls as made by the admin key', async () => {
    const r = await t.req('POST', '/v1/reservations', { body: reserveBody({ idempotency_key: 'aud-1' }) });
    expect(r.status).toBe(200);
    const fund = await t.req('POST', '/v1/admin/budgets/fund', {
      key: null,
      headers: admin(),
      body: { scope: 'tenant:acme', unit: USD, operation: 'CREDIT', amount: 5, idempotency_key: 'f-aud' },
    });
    expect(fund.status).toBe(200);
    const page = await t.req('GET', '/v1/admin/audit?tenant=acme', { key: null, headers: admin() });
    expect(page.status).toBe(200);
    const reserve = page.body.records.find((x: { idempotencyKey?: string }) => x.idempotencyKey === 'aud-1');
    expect(reserve.actor).toMatch(/^key:/);
    expect(reserve.traceId).toBe(r.headers['x-cycles-trace-id']);
    expect(page.body.records.at(-1)).toMatchObject({
      operation: 'budget.fund',
      actor: 'admin',
      detail: { amount: 5 },
    });
  });

  it('a tenant key sees its own tenant only; the admin key sees all', async () => {
    await t.req('POST', '/v1/reservations', {
      key: 'globex',
      body: reserveBody({ subject: { tenant: 'globex' } }),
    });
    const own = await t.req('GET', '/v1/audit');
    expect(own.status).toBe(200);
    expect(new Set(own.body.records.map((x: { tenant: string }) => x.tenant))).toEqual(new Set(['acme']));
    expect((await t.req('GET', '/v1/audit?tenant=globex')).status).toBe(403);
    const all = await t.req('GET', '/v1/admin/audit', { key: null, headers: admin() });
    expect(new Set(all.body.records.map((x: { tenant: string }) => x.tenant))).toEqual(
      new Set(['acme', 'globex']),
    );
    expect((await t.req('GET', '/v1/admin/audit', { key: 'acme' })).status).toBe(401);
    const bad = await t.req('GET', '/v1/admin/audit?limit=0', { key: null, headers: admin() });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/limit/);
  });

  it('records API keys created and revoked in the tenant trail', async () => {
    const created = await t.req('POST', '/v1/admin/tenants', {
      key: null,
      headers: admin(),
      body: { tenant_id: 'initech' },
    });
    expect(created.status).toBe(201);
    const key = await t.req('POST', '/v1/admin/tenants/initech/api-keys', {
      key: null,
      headers: admin(),
      body: {},
    });
    expect(key.status).toBe(201);
    await t.req('POST', `/v1/admin/api-keys/${key.body.key_id}/revoke`, { key: null, headers: admin() });
    const trail = await t.req('GET', '/v1/admin/audit?tenant=initech', { key: null, headers: admin() });
    expect(
      trail.body.records.map((x: { operation: string; detail: { keyId: string } }) => [
        x.operation,
        x.detail.keyId,
      ]),
    ).toEqual([
      ['key.create', key.body.key_id],
      ['key.revoke', key.body.key_id],
    ]);
    const verified = await t.req('GET', '/v1/admin/audit/verify?tenant=initech', {
      key: null,
      headers: admin(),
    });
    expect(verified.body).toMatchObject({ ok: true, checked: 2 });
  });

  it('explains a reservation: decision, balances at that moment and the rule', async () => {
    const r = await t.req('POST', '/v1/reservations', {
      body: reserveBody({ estimate: { unit: USD, amount: 40 } }),
    });
    const id = r.body.reservation_id;
    await t.req('POST', `/v1/reservations/${id}/commit`, {
      body: { idempotency_key: `c-${id}`, actual: { unit: USD, amount: 30 } },
    });
    const e = await t.req('GET', `/v1/audit/explain/${id}`);
    expect(e.status).toBe(200);
    expect(e.body).toMatchObject({ reservationId: id, decision: 'ALLOW' });
    expect(e.body.rule).toMatch(
      /^ALLOW: every scope had room; the tightest, tenant:acme, had \d+ for an estimate of 40$/,
    );
    expect(e.body.scopes[0].after.remaining).toBe(e.body.scopes[0].before.remaining - 40);
    expect(e.body.records.map((x: { operation: string }) => x.operation)).toEqual(['reserve', 'commit']);
    expect((await t.req('GET', `/v1/audit/explain/${id}`, { key: 'globex' })).status).toBe(404);
  });

  it('streams records as they are appended (SSE), and an operator can force-release', async () => {
    const stream = await readStream('/v1/admin/audit/stream?tenant=acme', admin(), (rs) =>
      rs.some((x) => x.operation === 'release'),
    );
    const r = await t.req('POST', '/v1/reservations', {
      body: reserveBody({ estimate: { unit: USD, amount: 7 } }),
    });
    const denied = await t.req('POST', '/v1/reservations', {
      body: reserveBody({ estimate: { unit: USD, amount: 99_999 } }),
    });
    expect(denied.status).toBe(409);
    const released = await t.req('POST', `/v1/admin/reservations/${r.body.reservation_id}/release`, {
      key: null,
      headers: admin(),
    });
    expect(released.status).toBe(200);
    await stream.done;
    stream.close();
    expect(stream.records.map((x) => `${x.operation} ${x.decision ?? ''}`.trim())).toEqual([
      'reserve ALLOW',
      'reserve DENY',
      'release',
    ]);
    expect((await t.ledger.getReservation(r.body.reservation_id)).status).toBe('RELEASED');
  });
});
