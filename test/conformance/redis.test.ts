import { randomUUID } from 'node:crypto';
import { describeLedgerConformance } from '@governor/core/testing';
import { RedisAuthority } from '@governor/redis';
import { afterAll } from 'vitest';
import { expireSettledReservations, redisFootprint } from '../../packages/redis/test/harness-support.js';

// One shared connection (REDIS_URL, default redis://127.0.0.1:6379); every factory
// call gets its own key prefix under this run's, deleted after its test.
const run = `gov-test-${randomUUID().slice(0, 8)}`;
const owner = new RedisAuthority({ keyPrefix: run });
const client = owner.client;
let n = 0;

async function dropPrefix(prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

afterAll(async () => {
  await dropPrefix(run);
  await owner.quit();
});

describeLedgerConformance('RedisAuthority', async (options) => {
  const prefix = `${run}:${++n}:`;
  const ledger = new RedisAuthority({ client, keyPrefix: prefix, testClock: {}, ...options });
  return {
    ledger,
    advanceClock: (ms) => ledger.advanceClock(ms),
    close: () => dropPrefix(prefix),
    footprint: () => redisFootprint(client, prefix),
    applyRetention: () => expireSettledReservations(client, prefix),
  };
});
