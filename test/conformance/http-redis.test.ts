import { randomUUID } from 'node:crypto';
import { describeLedgerConformance } from '@governor/core/testing';
import { RedisAuthority } from '@governor/redis';
import { RedisIdentityStore } from '@governor/server';
import { afterAll, describe, expect, it } from 'vitest';
import { loadContract } from '../../packages/core/test/support/openapi.js';
import { expireSettledReservations, redisFootprint } from '../../packages/redis/test/harness-support.js';
import { httpLedgerOver, type SeenAnswer, SUCCESS_SCHEMA } from '../support/http-harness.js';

// One shared connection (REDIS_URL, default redis://127.0.0.1:6379); every factory call
// gets its own key prefix under this run's, deleted after its test.
const run = `gov-test-http-${randomUUID().slice(0, 8)}`;
const owner = new RedisAuthority({ keyPrefix: run });
const client = owner.client;
const seen: SeenAnswer[] = [];
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

const RID = /^rsv_([a-zA-Z0-9_.-]+)\.[0-9a-f-]{36}$/;

describeLedgerConformance(
  'HttpAuthority → server → RedisAuthority',
  async (options) => {
    const prefix = `${run}:${++n}:`;
    const ledger = new RedisAuthority({ client, keyPrefix: prefix, testClock: {}, ...options });
    const harness = await httpLedgerOver(ledger, seen, {
      store: new RedisIdentityStore({ client, keyPrefix: prefix }),
      ownerOfReservation: (id) => RID.exec(id)?.[1],
    });
    return {
      ledger: harness.ledger,
      advanceClock: (ms) => ledger.advanceClock(ms),
      close: async () => {
        await harness.close();
        await dropPrefix(prefix);
      },
      footprint: () => redisFootprint(client, prefix),
      applyRetention: () => expireSettledReservations(client, prefix),
    };
  },
  { concurrency: { attempts: 1_000, fits: 373 }, modelRuns: 10, audit: false },
);

describe('every runtime answer seen through HTTP on Redis', () => {
  it('validates against the Cycles Protocol v0 schemas', () => {
    const contract = loadContract();
    const failures: string[] = [];
    for (const answer of seen) {
      const ok = answer.status >= 200 && answer.status < 300;
      const schema = ok ? (SUCCESS_SCHEMA[answer.operation] as string) : 'ErrorResponse';
      const errors = contract.check(schema, answer.body);
      if (errors)
        failures.push(
          `${answer.operation} ${answer.status} ${schema}: ${errors}\n${JSON.stringify(answer.body)}`,
        );
    }
    expect(failures.slice(0, 20), failures.slice(0, 20).join('\n\n')).toEqual([]);
    expect(seen.length).toBeGreaterThan(500);
  });
});
