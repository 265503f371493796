/**
 * Webhooks end to end: a real server on a MemoryAuthority, a real receiver on
 * loopback (allowed by `allowPrivateTargets`), real HTTP both ways.
 */
import { ManualClock, MemoryAuthority } from '@governor/core';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryIdentityStore, type WebhookOptions } from '../src/index.js';
import { guardedLookup } from '../src/webhooks/targets.js';
import { admin, reserveBody, startTestServer, type TestServer } from './support.js';
import { eventually, hookBody, startReceiver, verifySignature } from './webhook-support.js';

const USD = 'USD_MICROCENTS';
const LOOPBACK: WebhookOptions = { allowPrivateTargets: true, allowHttp: true, pollMs: 50 };

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function setup(webhooks: WebhookOptions = LOOPBACK, over: Parameters<typeof startTestServer>[0] = {}) {
  const t = await startTestServer({ webhooks, ...over });
  open.push(t);
  const receiver = await startReceiver();
  open.push(receiver);
  if (!(await t.ledger.getBudget({ scope: 'tenant:acme', unit: USD })))
    await t.ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 1_000 });
  return { t, receiver };
}

const adminReq = (t: TestServer, method: string, path: string, body?: unknown) =>
  t.req(method, path, { key: null, headers: admin(), ...(body !== undefined ? { body } : {}) });

async function subscribe(
  t: TestServer,
  url: string,
  eventTypes: string[],
  over: Record<string, unknown> = {},
) {
  const r = await adminReq(t, 'POST', '/v1/admin/tenants/acme/webhooks', hookBody(url, eventTypes, over));
  expect(r.status, r.text).toBe(201);
  return r.body as { webhook_id: string; secret: string };
}

const deny = (t: TestServer, key = `deny-${Math.random()}`) =>
  t.req('POST', '/v1/reservations', {
    body: reserveBody({ idempotency_key: key, estimate: { unit: USD, amount: 1_000_000 } }),
  });

describe('receiver URLs', () => {
  it('refuses loopback, private and plain-http targets with a clear 400 unless allowed', async () => {
    const { t, receiver } = await setup({ pollMs: 50 });
    const refused = async (url: string) => {
      const r = await adminReq(
        t,
        'POST',
        '/v1/admin/tenants/acme/webhooks',
        hookBody(url, ['decision.denied']),
      );
      expect(r.status, url).toBe(400);
      expect(r.body.error).toBe('INVALID_REQUEST');
      return r.body.message as string;
    };
    expect(await refused(receiver.url)).toMatch(/^url: must be an https URL/);
    expect(await refused('https://127.0.0.1:9/hook')).toMatch(
      /127\.0\.0\.1, a loopback address; not allowed/,
    );
    expect(await refused('https://localhost:9/hook')).toMatch(/loopback address/);
    expect(await refused('https://10.1.2.3/hook')).toMatch(/a private address/);
    expect(await refused('https://169.254.169.254/latest/meta-data')).toMatch(/link-local/);
    expect(await refused('https://[::1]/hook')).toMatch(/loopback/);
    expect(await refused('https://[fd00::1]/hook')).toMatch(/unique local/);
    expect(await refused('https://[::ffff:192.168.0.1]/hook')).toMatch(/private/);
    expect(await refused('not a url')).toMatch(/is not a URL/);
    const unknownType = await adminReq(
      t,
      'POST',
      '/v1/admin/tenants/acme/webhooks',
      hookBody('https://x.example', ['nope']),
    );
    expect(unknownType.status).toBe(400);
    expect(unknownType.body.message).toMatch(/^event_types/);
    const noTenant = await adminReq(
      t,
      'POST',
      '/v1/admin/tenants/nobody/webhooks',
      hookBody('https://x.example', ['decision.denied']),
    );
    expect(noTenant.status).toBe(404);
  });
});

describe('receiver addresses at delivery time', () => {
  it('the lookup of the connection refuses a name that resolves to a blocked address', async () => {
    const lookup = guardedLookup({});
    const error = await new Promise<Error | null>((resolve) =>
      lookup('localhost', { all: true }, (e) => resolve(e)),
    );
    expect(error?.message).toMatch(/localhost resolved to .*, a loopback address/);
    const allowed = guardedLookup({ allowPrivateTargets: true });
    const addresses = await new Promise((resolve) =>
      allowed('localhost', { all: true }, (_e, a) => resolve(a)),
    );
    expect(addresses).toEqual(
      expect.arrayContaining([expect.objectContaining({ address: expect.any(String) })]),
    );
  });

  it('a subscription whose target became private is refused at delivery (DNS rebinding), and logged', async () => {
    const { t, receiver } = await setup({ allowHttp: true, pollMs: 50 });
    const first = await (t.ledger as MemoryAuthority).queryAudit({ tenant: 'acme' });
    await t.server.store.createWebhook({
      webhookId: 'wh_rebound',
      tenantId: 'acme',
      url: receiver.url,
      eventTypes: ['decision.denied'],
      thresholds: [50],
      secret: 'whsec_x',
      createdAtMs: 0,
      enabled: true,
      consecutiveFailures: 0,
      cursor: first.cursor,
    });
    await deny(t);
    const log = await eventually(async () => {
      const r = await adminReq(t, 'GET', '/v1/admin/tenants/acme/webhooks/wh_rebound/deliveries');
      return r.body.deliveries.length > 0 && r.body.deliveries;
    });
    expect(log[0]).toMatchObject({ ok: false, attempt: 1 });
    expect(log[0].error).toMatch(/127\.0\.0\.1, a loopback address; not allowed/);
    expect(receiver.received).toEqual([]);
  });
});

describe('delivery', () => {
  it('a DENY reaches the receiver within a second, signed; the secret is shown once', async () => {
    const { t, receiver } = await setup();
    const hook = await subscribe(t, receiver.url, ['decision.denied']);
    expect(hook.secret).toMatch(/^whsec_/);
    const shown = await adminReq(t, 'GET', `/v1/admin/tenants/acme/webhooks/${hook.webhook_id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      webhook_id: hook.webhook_id,
      enabled: true,
      event_types: ['decision.denied'],
    });
    expect(shown.text).not.toContain(hook.secret);
    expect((await adminReq(t, 'GET', '/v1/admin/tenants/acme/webhooks')).body.webhooks).toHaveLength(1);

    const started = Date.now();
    expect((await deny(t, 'd-1')).status).toBe(409);
    const got = await eventually(() => receiver.received[0], { timeoutMs: 1_000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(verifySignature(hook.secret, got.raw, got.headers['x-governor-signature'])).toBe(true);
    expect(verifySignature('whsec_wrong', got.raw, got.headers['x-governor-signature'])).toBe(false);
    expect(got.headers['content-type']).toBe('application/json');
    expect(Number(got.headers['x-governor-timestamp'])).toBeGreaterThan(started - 1);
    expect(got.headers['x-governor-event-id']).toBe(got.body.id);
    expect(got.body).toMatchObject({
      type: 'decision.denied',
      tenant: 'acme',
      data: {
        operation: 'reserve',
        decision: 'DENY',
        reasonCode: 'BUDGET_EXCEEDED',
        blockedScope: 'tenant:acme',
      },
    });
    expect(got.body.id).toMatch(/^acme:\d+:decision\.denied$/);
    expect(Object.keys(got.body).sort()).toEqual(['data', 'id', 'occurredAtMs', 'tenant', 'type']);

    const log = await eventually(async () => {
      const r = await adminReq(t, 'GET', `/v1/admin/tenants/acme/webhooks/${hook.webhook_id}/deliveries`);
      return r.body.deliveries.length > 0 && r.body.deliveries;
    });
    expect(log[0]).toMatchObject({
      event_id: got.body.id,
      type: 'decision.denied',
      attempt: 1,
      ok: true,
      status_code: 200,
    });

    const gone = await adminReq(t, 'DELETE', `/v1/admin/tenants/acme/webhooks/${hook.webhook_id}`);
    expect(gone.status).toBe(200);
    expect((await adminReq(t, 'GET', `/v1/admin/tenants/acme/webhooks/${hook.webhook_id}`)).status).toBe(404);
    expect((await adminReq(t, 'GET', `/v1/admin/tenants/globex/webhooks/${hook.webhook_id}`)).status).toBe(
      404,
    );
  });

  it('a receiver that fails twice gets the event on the third attempt, same id, after the back-off', async () => {
    const clock = new ManualClock(1_000_000);
    const { t, receiver: r0 } = await setup({ ...LOOPBACK, scheduler: clock, retryBaseMs: 1_000 });
    await r0.close();
    const receiver = await startReceiver(() => clock.now());
    open.push(receiver);
    receiver.script = [500, 503];
    const hook = await subscribe(t, receiver.url, ['decision.denied']);
    expect((await deny(t)).status).toBe(409);
    await eventually(() => receiver.received.length >= 3, { step: () => clock.advance(50) });
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 10; i++) clock.advance(1_000);
    await new Promise((r) => setTimeout(r, 100));
    const [a1, a2, a3, ...more] = receiver.received;
    expect(more, 'nothing after the success').toEqual([]);
    expect(new Set(receiver.received.map((x) => x.body.id)).size).toBe(1);
    expect(receiver.received.map((x) => x.headers['x-governor-delivery-attempt'])).toEqual(['1', '2', '3']);
    expect(receiver.received.map((x) => x.raw)).toEqual([a1?.raw, a1?.raw, a1?.raw]);
    // Exponential back-off: 1 s, then 2 s (plus at most a couple of polls).
    expect((a2?.atMs ?? 0) - (a1?.atMs ?? 0)).toBeGreaterThanOrEqual(1_000);
    expect((a2?.atMs ?? 0) - (a1?.atMs ?? 0)).toBeLessThan(1_200);
    expect((a3?.atMs ?? 0) - (a2?.atMs ?? 0)).toBeGreaterThanOrEqual(2_000);
    expect((a3?.atMs ?? 0) - (a2?.atMs ?? 0)).toBeLessThan(2_200);
    const log = await adminReq(t, 'GET', `/v1/admin/tenants/acme/webhooks/${hook.webhook_id}/deliveries`);
    expect(
      log.body.deliveries.map((d: { attempt: number; ok: boolean; status_code: number }) => [
        d.attempt,
        d.ok,
        d.status_code,
      ]),
    ).toEqual([
      [3, true, 200],
      [2, false, 503],
      [1, false, 500],
    ]);
    expect(
      (await adminReq(t, 'GET', `/v1/admin/tenants/acme/webhooks/${hook.webhook_id}`)).body,
    ).toMatchObject({
      enabled: true,
      consecutive_failures: 0,
    });
    await t.close();
    open.splice(open.indexOf(t), 1);
    expect(clock.pendingTimers, 'close leaves no timers').toBe(0);
  });

  it('a hanging receiver slows no reserve; it is disabled after N failures, logged, and can be re-enabled', async () => {
    const { t, receiver } = await setup({
      ...LOOPBACK,
      attemptTimeoutMs: 600,
      retryBaseMs: 20,
      maxConsecutiveFailures: 3,
    });
    const timeReserves = async (n: number) => {
      let slowest = 0;
      for (let i = 0; i < n; i++) {
        const started = performance.now();
        const r = await t.req('POST', '/v1/reservations', {
          body: reserveBody({ estimate: { unit: USD, amount: 1 } }),
        });
        expect(r.status).toBe(200);
        slowest = Math.max(slowest, performance.now() - started);
      }
      return slowest;
    };
    await timeReserves(20);
    receiver.fallback = 'hang';
    const hook = await subscribe(t, receiver.url, ['decision.denied']);
    expect((await deny(t)).status).toBe(409);
    await eventually(() => receiver.hanging > 0);
    const slowest = await timeReserves(30);
    expect(receiver.hanging, 'the receiver was holding a delivery meanwhile').toBeGreaterThan(0);
    expect(slowest, 'no reserve waited on the receiver').toBeLessThan(300);

    const disabled = await eventually(
      async () => {
        const r = await adminReq(t, 'GET', `/v1/admin/tenants/acme/webhooks/${hook.webhook_id}`);
        return r.body.enabled === false && r.body;
      },
      { timeoutMs: 8_000 },
    );
    expect(disabled).toMatchObject({ consecutive_failures: 3 });
    expect(disabled.disabled_reason).toMatch(
      /3 failed deliveries in a row \(last: no answer within 600 ms\)/,
    );
    const log = await adminReq(t, 'GET', `/v1/admin/tenants/acme/webhooks/${hook.webhook_id}/deliveries`);
    expect(log.body.deliveries.map((d: { attempt: number; ok: boolean }) => [d.attempt, d.ok])).toEqual([
      [3, false],
      [2, false],
      [1, false],
    ]);
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.received).toHaveLength(3);

    receiver.fallback = 200;
    const enabled = await adminReq(t, 'POST', `/v1/admin/tenants/acme/webhooks/${hook.webhook_id}/enable`);
    expect(enabled.body).toMatchObject({ enabled: true, consecutive_failures: 0 });
    expect(enabled.body.disabled_reason).toBeUndefined();
    const fourth = await eventually(() => receiver.received[3]);
    expect(fourth.body.id).toBe(receiver.received[0]?.body.id);
    expect(fourth.headers['x-governor-delivery-attempt']).toBe('4');
  });

  it('budget.threshold fires once per crossing', async () => {
    const { t, receiver } = await setup();
    await subscribe(t, receiver.url, ['budget.threshold', 'decision.denied'], { thresholds: [50] });
    const reserve = async (amount: number) =>
      (await t.req('POST', '/v1/reservations', { body: reserveBody({ estimate: { unit: USD, amount } }) }))
        .body.reservation_id as string;
    const first = await reserve(600); // 60 %: crosses 50
    await reserve(100); // 70 %: above already
    await t.req('POST', `/v1/reservations/${first}/release`, { body: { idempotency_key: 'rel-1' } }); // 10 %
    await reserve(450); // 55 %: crosses again
    await deny(t); // the last event: once it is in, everything before it is
    await eventually(() => receiver.received.some((x) => x.body.type === 'decision.denied'));
    const thresholds = receiver.received.filter((x) => x.body.type === 'budget.threshold');
    expect(
      thresholds.map((x) => [x.body.data.thresholdPercent, x.body.data.utilisationPercentAfter]),
    ).toEqual([
      [50, 60],
      [50, 55],
    ]);
    expect(new Set(thresholds.map((x) => x.body.id)).size).toBe(2);
  });

  it('a restarted worker goes on from its cursor without losing events', async () => {
    const ledger = new MemoryAuthority({ clock: new ManualClock() });
    const store = new MemoryIdentityStore();
    const { t, receiver } = await setup(LOOPBACK, { authority: ledger, store });
    await subscribe(t, receiver.url, ['decision.denied']);
    await deny(t, 'before-restart');
    await eventually(() => receiver.received.length === 1);
    await t.close();
    open.splice(open.indexOf(t), 1);
    // While no server runs, the ledger goes on.
    for (const key of ['while-down-1', 'while-down-2'])
      await ledger.reserve({
        idempotencyKey: key,
        subject: { tenant: 'acme' },
        action: { kind: 'llm.completion', name: 'm' },
        estimate: { unit: USD, amount: 1_000_000 },
      });
    const again = await startTestServer({ webhooks: LOOPBACK, authority: ledger, store });
    open.push(again);
    await eventually(() => receiver.received.length >= 3);
    await new Promise((r) => setTimeout(r, 200));
    const ids = receiver.received.map((x) => x.body.id);
    expect(new Set(ids).size).toBe(3);
    expect(ids).toHaveLength(3);
  });
});
