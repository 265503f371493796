/**
 * A ready server for `governor serve`: on a MemoryAuthority (default) or, with
 * a Redis URL, on a RedisAuthority with the identity store and the rate-limit
 * counters in the same Redis.
 */
import { type Ledger, MemoryAuthority } from '@governor/core';
import { RedisAuthority } from '@governor/redis';
import { RedisIdentityStore } from './redis-store.js';
import { createServer, type GovernorServer, type ServerOptions } from './server.js';

export interface OpenServerOptions extends Partial<Omit<ServerOptions, 'authority' | 'store'>> {
  /** A Redis URL: RedisAuthority and the Redis identity store; otherwise everything in memory. */
  redis?: string;
  /** Redis key prefix; default `governor`. */
  keyPrefix?: string;
  /** A ledger of yours instead (the identity store is then in memory). */
  authority?: Ledger;
}

export interface OpenServer extends GovernorServer {
  kind: 'memory' | 'redis' | 'custom';
  authority: Ledger;
}

/** RedisAuthority ids spell their tenant: `rsv_<tenant>.<uuid>`. */
const REDIS_RID = /^rsv_([a-zA-Z0-9_.-]+)\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function openServer(options: OpenServerOptions = {}): Promise<OpenServer> {
  const { redis, keyPrefix = 'governor', authority: given, ...rest } = options;
  if (redis === undefined) {
    const authority = given ?? new MemoryAuthority();
    const server = await createServer({ ...rest, authority });
    return { ...server, kind: given ? 'custom' : 'memory', authority };
  }
  const authority = new RedisAuthority({
    url: redis,
    keyPrefix,
    redisOptions: { maxRetriesPerRequest: 2, connectTimeout: 3_000 },
  });
  try {
    await authority.client.ping();
  } catch (error) {
    authority.client.disconnect();
    throw new Error(`cannot reach Redis at ${redis}: ${(error as Error).message}`);
  }
  const client = authority.client;
  const server = await createServer({
    ownerOfReservation: (id) => REDIS_RID.exec(id)?.[1],
    ready: async () => (await client.ping()) === 'PONG',
    ...rest,
    rateLimit:
      rest.rateLimit === false
        ? false
        : { nameSpace: `${keyPrefix}{governor-rate-limit}:`, ...rest.rateLimit, redis: client },
    authority,
    store: new RedisIdentityStore({ client, keyPrefix }),
  });
  return {
    ...server,
    kind: 'redis',
    authority,
    async close() {
      await server.close();
      await authority.quit();
    },
  };
}
