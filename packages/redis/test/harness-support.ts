/**
 * What the conformance harnesses on Redis (single node and Cluster) add to a
 * ledger: its footprint (every key under its prefix, with type and size) and
 * reservation retention applied now (Redis expires settled reservations on
 * its own clock, not the test clock).
 */
import type { Cluster, Redis } from 'ioredis';

type Client = Redis | Cluster;

const nodesOf = (client: Client): Redis[] =>
  'nodes' in client && typeof client.nodes === 'function'
    ? (client as Cluster).nodes('master')
    : [client as Redis];

async function keysUnder(client: Client, pattern: string): Promise<string[]> {
  const out: string[] = [];
  for (const node of nodesOf(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
  }
  return out.sort();
}

const SIZE: Record<string, (c: Client, k: string) => Promise<number>> = {
  string: (c, k) => c.strlen(k),
  hash: (c, k) => c.hlen(k),
  set: (c, k) => c.scard(k),
  zset: (c, k) => c.zcard(k),
  list: (c, k) => c.llen(k),
};

/** Every key under `prefix`, with its type and size. */
export async function redisFootprint(client: Client, prefix: string): Promise<[string, string, number][]> {
  const out: [string, string, number][] = [];
  for (const key of await keysUnder(client, `${prefix}*`)) {
    const type = await client.type(key);
    out.push([key, type, (await SIZE[type]?.(client, key)) ?? -1]);
  }
  return out;
}

/** Delete the settled reservations (hashes with an expiry) under `prefix`, as their expiry would. */
export async function expireSettledReservations(client: Client, prefix: string): Promise<void> {
  for (const key of await keysUnder(client, `${prefix}*:r:*`)) {
    if ((await client.pttl(key)) > 0) await client.unlink(key);
  }
}
