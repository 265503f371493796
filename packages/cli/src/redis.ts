import { RedisAuthority } from '@governor/redis';

export interface RedisLedger {
  authority: RedisAuthority;
  prefix: string;
  /** Close the connection; with `deleteKeys`, first delete every key under the prefix. */
  dispose(options?: { deleteKeys?: boolean }): Promise<void>;
}

/** Connect a RedisAuthority and check that Redis answers (a clear error instead of retries forever). */
export async function openRedis(url: string, prefix = 'governor'): Promise<RedisLedger> {
  const authority = new RedisAuthority({
    url,
    keyPrefix: prefix,
    redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 3_000, retryStrategy: () => null },
  });
  try {
    await authority.client.ping();
  } catch (error) {
    authority.client.disconnect();
    throw new Error(`cannot reach Redis at ${url}: ${(error as Error).message}`);
  }
  return {
    authority,
    prefix,
    async dispose({ deleteKeys = false } = {}) {
      if (deleteKeys) await deletePrefix(authority, prefix);
      await authority.quit();
    },
  };
}

/** Delete every key under `prefix` (SCAN, never KEYS). */
export async function deletePrefix(authority: RedisAuthority, prefix: string): Promise<void> {
  const client = authority.client;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await client.del(...keys);
  } while (cursor !== '0');
}
