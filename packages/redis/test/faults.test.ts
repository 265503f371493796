/**
 * Faults: connections killed in the middle of a load run, and the script cache
 * flushed (NOSCRIPT). Afterwards no committed spend is missing, no reservation
 * was allowed without being recorded, the invariant holds, and new calls
 * succeed. Only this test's own connections are killed (by client name).
 */
import { randomUUID } from 'node:crypto';
import type { GovernorError } from '@governor/core';
import { assertLedgerInvariant } from '@governor/core/testing';
import { afterAll, expect, it } from 'vitest';
import { RedisAuthority, RedisUnavailableError } from '../src/index.js';
import { dropPrefix, REDIS_URL, uniquePrefix } from './support.js';

const prefix = uniquePrefix('faults');
const name = prefix.replace(/[^a-zA-Z0-9-]/g, '');
const admin = new RedisAuthority({ url: REDIS_URL, keyPrefix: prefix });

afterAll(async () => {
  await dropPrefix(admin, prefix);
  await admin.quit();
});

async function killOurConnections(): Promise<number> {
  const list = (await admin.client.client('LIST')) as string;
  let killed = 0;
  for (const line of list.split('\n')) {
    if (!line.includes(` name=${name} `)) continue;
    const id = /\bid=(\d+)/.exec(line)?.[1];
    if (id) killed += Number(await admin.client.client('KILL', 'ID', id).catch(() => 0));
  }
  return killed;
}

/** The Governor's behaviour, reduced: retry transient failures with the same idempotency key. */
async function retry<T>(fn: () => Promise<T>, stats: { transient: number }): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof RedisUnavailableError) || attempt > 200) throw error;
      stats.transient += 1;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

it('survives killed connections and a flushed script cache without losing or inventing spend', async () => {
  const ledger = new RedisAuthority({
    url: REDIS_URL,
    keyPrefix: prefix,
    includeBalances: false,
    redisOptions: { connectionName: name, maxRetriesPerRequest: 1, retryStrategy: () => 5 },
  });
  await admin.createBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: 10_000_000 });
  await admin.createBudget({
    scope: 'tenant:acme/workflow:support',
    unit: 'USD_MICROCENTS',
    allocated: 1_000_000,
  });
  const stats = { transient: 0, kills: 0, flushed: false };
  const seen = new Map<string, { committed?: number; released?: boolean }>();
  let stop = false;
  const chaos = (async () => {
    let round = 0;
    while (!stop) {
      await new Promise((r) => setTimeout(r, 15));
      stats.kills += await killOurConnections();
      if (++round === 10) {
        await admin.client.script('FLUSH');
        stats.flushed = true;
      }
    }
  })();
  let denied = 0;
  const worker = async (w: number) => {
    for (let i = 0; i < 150; i++) {
      const amount = 1 + ((w * 7 + i) % 50);
      const reserveKey = randomUUID();
      const r = await retry(
        () =>
          ledger.reserve({
            idempotencyKey: reserveKey,
            subject: { tenant: 'acme', workflow: 'support', run: `w${w}` },
            action: { kind: 'tool.call', name: 'x' },
            estimate: { unit: 'USD_MICROCENTS', amount },
          }),
        stats,
      );
      if (!r.reservationId) {
        denied += 1;
        continue;
      }
      const id = r.reservationId;
      seen.set(id, {});
      if (i % 4 === 3) {
        const releaseKey = randomUUID();
        await retry(() => ledger.release(id, { idempotencyKey: releaseKey }), stats);
        seen.set(id, { released: true });
      } else {
        const commitKey = randomUUID();
        const c = await retry(
          () =>
            ledger.commit(id, {
              idempotencyKey: commitKey,
              actual: { unit: 'USD_MICROCENTS', amount: amount - 1 },
            }),
          stats,
        );
        seen.set(id, { committed: c.charged.amount });
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)));
  stop = true;
  await chaos;
  expect(stats.kills).toBeGreaterThan(5);
  expect(stats.flushed).toBe(true);
  expect(denied).toBe(0);

  // Every allowed reservation is recorded, with the outcome its client saw.
  let committed = 0;
  for (const [id, outcome] of seen) {
    const detail = await admin.getReservation(id);
    if (outcome.released) expect(detail.status).toBe('RELEASED');
    else {
      expect(detail).toMatchObject({ status: 'COMMITTED', committed: { amount: outcome.committed } });
      committed += outcome.committed as number;
    }
  }
  // No reservation exists that no client saw, and no spend is missing or extra.
  const all = await admin.listReservations({ tenant: 'acme', limit: 200 });
  let listed = 0;
  let cursor: string | undefined;
  do {
    const page = await admin.listReservations({ tenant: 'acme', limit: 200, ...(cursor ? { cursor } : {}) });
    for (const r of page.reservations) expect(seen.has(r.reservationId)).toBe(true);
    listed += page.reservations.length;
    cursor = page.nextCursor;
  } while (cursor);
  expect(all.reservations.length).toBeGreaterThan(0);
  expect(listed).toBe(seen.size);
  for (const scope of ['tenant:acme', 'tenant:acme/workflow:support']) {
    expect(await admin.getBudget({ scope, unit: 'USD_MICROCENTS' })).toMatchObject({
      spent: committed,
      reserved: 0,
    });
  }
  await assertLedgerInvariant(admin);

  // And the ledger keeps working.
  const after = await ledger.reserve({
    idempotencyKey: randomUUID(),
    subject: { tenant: 'acme' },
    action: { kind: 'tool.call', name: 'x' },
    estimate: { unit: 'USD_MICROCENTS', amount: 1 },
  });
  expect(after.decision).toBe('ALLOW');
  await ledger.quit();
}, 120_000);

it('turns an unreachable Redis into a typed error, never an answer', async () => {
  const ledger = new RedisAuthority({
    url: 'redis://127.0.0.1:1',
    keyPrefix: prefix,
    redisOptions: { maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 200 },
  });
  const error = await ledger
    .reserve({
      idempotencyKey: 'k',
      subject: { tenant: 'acme' },
      action: { kind: 'tool.call', name: 'x' },
      estimate: { unit: 'USD_MICROCENTS', amount: 1 },
    })
    .then(
      (answer) => answer,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(RedisUnavailableError);
  expect((error as GovernorError).code).toBe('INTERNAL_ERROR');
  expect((error as GovernorError).status).toBe(500);
  await ledger.quit();
});
