/**
 * The conformance suite on a real Redis Cluster (REDIS_CLUSTER_NODES; `.ci/run`
 * starts one on 127.0.0.1:7001-7003). Every factory call gets its own key
 * prefix, deleted after its test. Fails (never skips) in CI without a cluster.
 */
import { randomUUID } from 'node:crypto';
import { describeLedgerConformance } from '@governor/core/testing';
import { RedisAuthority } from '@governor/redis';
import { afterAll } from 'vitest';
import {
  connectCluster,
  describeOnCluster,
  dropClusterPrefix,
} from '../../packages/redis/test/cluster-support.js';
import { expireSettledReservations, redisFootprint } from '../../packages/redis/test/harness-support.js';

const cluster = await connectCluster();

describeOnCluster('RedisAuthority on Redis Cluster', cluster, (client) => {
  const run = `gov-cluster-test-${randomUUID().slice(0, 8)}`;
  let n = 0;
  afterAll(async () => {
    await dropClusterPrefix(client, run);
    client.disconnect();
  });
  describeLedgerConformance('RedisAuthority on Redis Cluster', async (options) => {
    const prefix = `${run}:${++n}:`;
    const ledger = new RedisAuthority({ client, keyPrefix: prefix, testClock: {}, ...options });
    return {
      ledger,
      advanceClock: (ms) => ledger.advanceClock(ms),
      close: () => dropClusterPrefix(client, prefix),
      footprint: () => redisFootprint(client, prefix),
      applyRetention: () => expireSettledReservations(client, prefix),
    };
  });
});
