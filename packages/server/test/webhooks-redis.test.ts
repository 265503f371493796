/**
 * Webhooks on Redis: RedisAuthority + RedisIdentityStore under a key prefix of
 * this run on the shared Redis (REDIS_URL, default redis://127.0.0.1:6379),
 * deleted afterwards. Two server instances, one subscription: one delivery per event.
 */
import { randomUUID } from 'node:crypto';
import { RedisAuthority } from '@governor/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPrefix, testLedger, uniquePrefix } from '../../redis/test/support.js';
import { type DeliveryRecord, RedisIdentityStore, type WebhookRecord } from '../src/index.js';
import { admin, reserveBody, startTestServer } from './support.js';
import { eventually, hookBody, startReceiver, verifySignature } from './webhook-support.js';

const run = uniquePrefix('webhooks');
const owner = testLedger(run);
const client = owner.client;

afterAll(async () => {
  await dropPrefix(owner, run);
  await owner.quit();
});

const hook = (over: Partial<WebhookRecord> = {}): WebhookRecord => ({
  webhookId: `wh_${randomUUID().slice(0, 8)}`,
  tenantId: 'acme',
  url: 'https://hooks.example/x',
  eventTypes: ['decision.denied'],
  thresholds: [50, 80],
  secret: 'whsec_s',
  createdAtMs: 1,
  enabled: true,
  consecutiveFailures: 0,
  ...over,
});

describe('RedisIdentityStore: webhooks, delivery log, leases', () => {
  const store = new RedisIdentityStore({ client, keyPrefix: `${run}store:` });

  it('keeps subscriptions; a patch changes only its fields, null clears, and never recreates a deleted one', async () => {
    const w = hook({ cursor: 'c0' });
    await store.createWebhook(w);
    expect(await store.getWebhook(w.webhookId)).toEqual(w);
    expect((await store.listWebhooks('acme')).map((x) => x.webhookId)).toEqual([w.webhookId]);
    expect(await store.listWebhooks('globex')).toEqual([]);
    const retry = { eventId: 'acme:1:decision.denied', attempts: 2, notBeforeMs: 99 };
    const next = await store.updateWebhook(w.webhookId, { consecutiveFailures: 2, retry });
    expect(next).toEqual({ ...w, consecutiveFailures: 2, retry });
    expect(await store.updateWebhook(w.webhookId, { retry: null, cursor: 'c1' })).toEqual({
      ...w,
      consecutiveFailures: 2,
      cursor: 'c1',
    });
    expect(await store.deleteWebhook(w.webhookId)).toBe(true);
    expect(await store.deleteWebhook(w.webhookId)).toBe(false);
    expect(await store.updateWebhook(w.webhookId, { enabled: true })).toBeUndefined();
    expect(await store.getWebhook(w.webhookId)).toBeUndefined();
    expect(await store.listWebhooks()).toEqual([]);
  });

  it('keeps the newest entries of a delivery log only', async () => {
    const entry = (attempt: number): DeliveryRecord => ({
      eventId: 'e',
      type: 'decision.denied',
      attempt,
      atMs: attempt,
      durationMs: 1,
      ok: false,
      error: 'x',
    });
    for (let i = 1; i <= 7; i++) await store.appendDelivery('wh_log', entry(i), 5);
    expect((await store.listDeliveries('wh_log', 100)).map((d) => d.attempt)).toEqual([7, 6, 5, 4, 3]);
    expect((await store.listDeliveries('wh_log', 2)).map((d) => d.attempt)).toEqual([7, 6]);
  });

  it('a lease is one owner’s until it lapses or is given up', async () => {
    expect(await store.acquireLease('l', 'a', 200)).toBe(true);
    expect(await store.acquireLease('l', 'b', 200)).toBe(false);
    expect(await store.acquireLease('l', 'a', 200), 'renewed').toBe(true);
    await store.releaseLease('l', 'b');
    expect(await store.acquireLease('l', 'b', 200), 'not given up by another').toBe(false);
    await store.releaseLease('l', 'a');
    expect(await store.acquireLease('l', 'b', 50)).toBe(true);
    await new Promise((r) => setTimeout(r, 80));
    expect(await store.acquireLease('l', 'a', 200), 'lapsed').toBe(true);
  });
});

describe('webhooks over two server instances on one Redis', () => {
  it('delivers each event once, signed, whichever instance took the DENY', async () => {
    const prefix = `${run}servers:`;
    const ledger = new RedisAuthority({ client, keyPrefix: prefix });
    const store = new RedisIdentityStore({ client, keyPrefix: prefix });
    const webhooks = { allowPrivateTargets: true, allowHttp: true, pollMs: 50 };
    const a = await startTestServer({ authority: ledger, store, webhooks });
    const b = await startTestServer({ authority: ledger, store, webhooks });
    const receiver = await startReceiver();
    try {
      await ledger.createBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: 1_000 });
      const created = await a.req('POST', '/v1/admin/tenants/acme/webhooks', {
        key: null,
        headers: admin(),
        body: hookBody(receiver.url, ['decision.denied']),
      });
      expect(created.status, created.text).toBe(201);
      const big = { estimate: { unit: 'USD_MICROCENTS', amount: 1_000_000 } };
      for (const [i, t] of [a, b, a, b].entries())
        expect(
          (
            await t.req('POST', '/v1/reservations', {
              body: reserveBody({ ...big, idempotency_key: `d${i}` }),
            })
          ).status,
        ).toBe(409);
      await eventually(() => receiver.received.length >= 4);
      await new Promise((r) => setTimeout(r, 300));
      const ids = receiver.received.map((x) => x.body.id);
      expect(ids).toHaveLength(4);
      expect(new Set(ids).size).toBe(4);
      for (const x of receiver.received)
        expect(verifySignature(created.body.secret, x.raw, x.headers['x-governor-signature'])).toBe(true);
      const listed = await b.req(
        'GET',
        `/v1/admin/tenants/acme/webhooks/${created.body.webhook_id}/deliveries`,
        {
          key: null,
          headers: admin(),
        },
      );
      expect(listed.body.deliveries).toHaveLength(4);
    } finally {
      await a.close();
      await b.close();
      await receiver.close();
    }
  });
});
