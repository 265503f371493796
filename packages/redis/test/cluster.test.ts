/**
 * Cross-tenant operations on a real Redis Cluster: tenants whose keys live in
 * different hash slots (on different masters), and every call that spans
 * them — listings without a tenant (both listing paths, paged), balances on
 * a non-tenant level, listBudgets, sweepExpired — answers exactly as
 * MemoryAuthority does. (The conformance suite runs there too:
 * test/conformance/redis-cluster.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { type Ledger, ManualClock, MemoryAuthority, type ReservationListQuery } from '@governor/core';
import { assertLedgerInvariant } from '@governor/core/testing';
import { afterAll, expect, it } from 'vitest';
import { parseClusterNodes, RedisAuthority } from '../src/index.js';
import { connectCluster, describeOnCluster, dropClusterPrefix } from './cluster-support.js';

const TENANTS = ['acme', 'globex', 'initech', 'umbrella', `long-${'t'.repeat(95)}`];
const USD = 'USD_MICROCENTS' as const;
const cluster = await connectCluster();

describeOnCluster('RedisAuthority on Redis Cluster, across tenants', cluster, (client) => {
  const prefix = `gov-cluster-xt-${randomUUID().slice(0, 8)}:`;
  afterAll(async () => {
    await dropClusterPrefix(client, prefix);
    client.disconnect();
  });

  it('listings, balances, budgets and sweeps across tenants on several masters agree with MemoryAuthority', async () => {
    const redis = new RedisAuthority({ client, keyPrefix: prefix, testClock: {} });
    const owners = new Set<string>();
    for (const t of TENANTS) {
      const slot = (await client.cluster('KEYSLOT', redis.keys.tag(t))) as number;
      const [, , [host, port]] = (
        (await client.cluster('SLOTS')) as unknown as [number, number, [string, number]][]
      ).find(([from, to]) => slot >= from && slot <= to) as [number, number, [string, number]];
      owners.add(`${host}:${port}`);
    }
    expect(owners.size, 'the tenants live on more than one master').toBeGreaterThan(1);

    const clock = new ManualClock();
    const memory = new MemoryAuthority({ clock });
    const ids = [new Map<string, string>(), new Map<string, string>()];
    const alias = (value: unknown, side: number) =>
      JSON.parse(JSON.stringify(value), (_k, v) => (typeof v === 'string' ? (ids[side]?.get(v) ?? v) : v));
    const both = async <T>(fn: (l: Ledger) => Promise<T>): Promise<[T, T]> => [
      await fn(memory),
      await fn(redis),
    ];
    const agree = async (label: string, fn: (l: Ledger) => Promise<unknown>) => {
      const [m, r] = await both(fn);
      expect(alias(r, 1), label).toEqual(alias(m, 0));
    };
    const tick = async () => {
      clock.advance(1);
      await redis.advanceClock(1);
    };

    await both((l) => l.addTemplate({ match: 'tenant:*/workflow:support/run:*', unit: USD, allocated: 500 }));
    for (const [i, tenant] of TENANTS.entries()) {
      await both((l) => l.createBudget({ scope: `tenant:${tenant}`, unit: USD, allocated: 1_000 }));
      for (const run of ['r1', 'r2']) {
        const request = {
          idempotencyKey: `${tenant}-${run}`,
          subject: { tenant, workflow: 'support', run },
          action: { kind: 'llm.completion', name: 'm' },
          estimate: { unit: USD, amount: 10 + 2 * i + (run === 'r2' ? 1 : 0) }, // no ties in any ordering
          ttlMs: run === 'r1' ? 60_000 : 2_000,
        };
        const [m, r] = await both((l) => l.reserve(request));
        const name = `rsv:${tenant}:${run}`;
        ids[0]?.set(m.reservationId as string, name);
        ids[1]?.set(r.reservationId as string, name);
        expect(alias(r, 1)).toEqual(alias(m, 0));
        await tick();
      }
      const [m, r] = [ids[0], ids[1]].map(
        (map) => [...(map as Map<string, string>)].find(([, n]) => n === `rsv:${tenant}:r1`)?.[0],
      );
      await memory.commit(m as string, { idempotencyKey: `c-${tenant}`, actual: { unit: USD, amount: 7 } });
      await redis.commit(r as string, { idempotencyKey: `c-${tenant}`, actual: { unit: USD, amount: 7 } });
    }

    const queries: ReservationListQuery[] = [
      {},
      { status: 'ACTIVE' },
      { sortDir: 'asc' },
      { sortBy: 'reserved', sortDir: 'asc' },
      { status: 'COMMITTED', sortBy: 'tenant' },
    ];
    for (const query of queries)
      await agree(`listReservations ${JSON.stringify(query)}`, (l) => l.listReservations(query));
    // Paged, without a tenant: the same pages.
    const pages = async (l: Ledger) => {
      const out: unknown[] = [];
      let cursor: string | undefined;
      do {
        const page = await l.listReservations({ limit: 3, ...(cursor ? { cursor } : {}) });
        out.push(page.reservations);
        cursor = page.nextCursor;
      } while (cursor);
      return out;
    };
    await agree('paged listing', pages);
    // listBudgets has no defined order (memory: creation; Redis: by tenant and scope): compare sorted.
    const budgets = async (l: Ledger) =>
      (await l.listBudgets()).sort((a, b) => `${a.scope}|${a.unit}`.localeCompare(`${b.scope}|${b.unit}`));
    await agree('listBudgets', budgets);
    await agree('balances on workflow:support', (l) =>
      l.balances({ workflow: 'support', includeChildren: true }),
    );
    await assertLedgerInvariant(redis);

    clock.advance(10_000);
    await redis.advanceClock(10_000);
    await agree('sweepExpired', (l) => l.sweepExpired());
    await agree('listReservations after the sweep', (l) => l.listReservations({ limit: 200 }));
    await agree('listBudgets after the sweep', budgets);
    await assertLedgerInvariant(redis);
  });

  it('concurrent calls for tenants on different masters, sent in one tick, each reach their own slot', async () => {
    // ioredis groups auto-pipelined calls by the slot of their first argument; a script called
    // with a variable key count (the count first) once grouped every such call under one node.
    const redis = new RedisAuthority({ client, keyPrefix: `${prefix}tick:`, testClock: {} });
    for (const tenant of TENANTS)
      await redis.createBudget({ scope: `tenant:${tenant}`, unit: USD, allocated: 100 });
    const reserve = (tenant: string, i: number) =>
      redis.reserve({
        idempotencyKey: `t-${tenant}-${i}`,
        subject: { tenant },
        action: { kind: 'tool.call', name: 'x' },
        estimate: { unit: USD, amount: 3 },
      });
    const reserved = await Promise.all(TENANTS.flatMap((t) => [0, 1, 2].map((i) => reserve(t, i))));
    expect(reserved.every((r) => r.decision === 'ALLOW')).toBe(true);
    await Promise.all(
      reserved.map((r, i) =>
        redis.commit(r.reservationId as string, {
          idempotencyKey: `c-${i}`,
          actual: { unit: USD, amount: 2 },
        }),
      ),
    );
    for (const tenant of TENANTS)
      expect(await redis.getBudget({ scope: `tenant:${tenant}`, unit: USD })).toMatchObject({
        spent: 6,
        reserved: 0,
        remaining: 94,
      });
    await assertLedgerInvariant(redis);
  });

  it('`cluster: [{ host, port }]` makes a Cluster client of its own, closed by quit()', async () => {
    const own = new RedisAuthority({
      cluster: parseClusterNodes(process.env.REDIS_CLUSTER_NODES as string),
      keyPrefix: `${prefix}own:`,
    });
    try {
      await own.createBudget({ scope: 'tenant:acme', unit: 'CREDITS', allocated: 5 });
      const r = await own.reserve({
        idempotencyKey: 'k',
        subject: { tenant: 'acme' },
        action: { kind: 'tool.call', name: 'x' },
        estimate: { unit: 'CREDITS', amount: 2 },
      });
      await own.commit(r.reservationId as string, {
        idempotencyKey: 'c',
        actual: { unit: 'CREDITS', amount: 2 },
      });
      expect(await own.getBudget({ scope: 'tenant:acme', unit: 'CREDITS' })).toMatchObject({
        spent: 2,
        remaining: 3,
      });
    } finally {
      await own.quit();
    }
    if (own.client.status !== 'end') await once(own.client, 'end');
    expect(own.client.status).toBe('end');
  });
});

it('parseClusterNodes reads host:port lists and refuses anything else', () => {
  expect(parseClusterNodes('127.0.0.1:7001, 127.0.0.1:7002')).toEqual([
    { host: '127.0.0.1', port: 7001 },
    { host: '127.0.0.1', port: 7002 },
  ]);
  expect(() => parseClusterNodes('127.0.0.1')).toThrow(/is not host:port/);
  expect(() => parseClusterNodes(' , ')).toThrow(/no host:port/);
  expect(() => new RedisAuthority({ url: 'redis://x', cluster: [{ host: 'x', port: 1 }] })).toThrow(
    /not both/,
  );
});
