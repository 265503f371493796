import { randomUUID } from 'node:crypto';
import { RedisAuthority, type RedisAuthorityOptions } from '../src/index.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A unique key prefix per test run, so parallel runs never collide. */
export const uniquePrefix = (label: string) => `gov-test-${label}-${randomUUID().slice(0, 8)}:`;

/** Delete every key under `prefix`. */
export async function dropPrefix(ledger: RedisAuthority, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await ledger.client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await ledger.client.unlink(...keys);
  } while (cursor !== '0');
}

export function testLedger(prefix: string, options: RedisAuthorityOptions = {}) {
  return new RedisAuthority({ url: REDIS_URL, keyPrefix: prefix, testClock: {}, ...options });
}
