import { RedisAuthority } from '@governor/redis';
import { checkRedisUrl, shownUrl } from './redis-url.js';

export interface RedisLedger {
  authority: RedisAuthority;
  prefix: string;
  /** The URL as it may be printed (no password). */
  where: string;
  /** Close the connection; with `deleteKeys`, first delete every key under the prefix. */
  dispose(options?: { deleteKeys?: boolean }): Promise<void>;
}

/** How long a command waits for Redis to answer its first PING. */
export const CONNECT_TIMEOUT_MS = 2_000;

/**
 * Connect a RedisAuthority and check that Redis answers within
 * CONNECT_TIMEOUT_MS: a clear error naming the URL instead of retries.
 */
export async function openRedis(url: string, prefix = 'governor'): Promise<RedisLedger> {
  checkRedisUrl(url);
  const where = shownUrl(url);
  const authority = new RedisAuthority({
    url,
    keyPrefix: prefix,
    redisOptions: {
      maxRetriesPerRequest: 1,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: () => null,
      lazyConnect: true,
    },
  });
  // ioredis rejects with "Connection is closed."; the reason is on its 'error' event.
  let cause: Error | undefined;
  authority.client.on('error', (error: Error) => {
    cause ??= error;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS} ms`)),
        CONNECT_TIMEOUT_MS,
      );
    });
    await Promise.race([authority.client.connect().then(() => authority.client.ping()), deadline]);
  } catch (error) {
    authority.client.disconnect();
    throw new Error(`cannot reach Redis at ${where}: ${(cause ?? (error as Error)).message}`);
  } finally {
    clearTimeout(timer);
  }
  return {
    authority,
    prefix,
    where,
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
