/**
 * The Redis Cluster the cluster suites run on: REDIS_CLUSTER_NODES (e.g.
 * `127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003`; `.ci/run` starts one). In
 * CI, or whenever the variable is set, an unreachable cluster fails the
 * suite; only a local run without the variable skips it, saying why.
 */
import { Cluster } from 'ioredis';
import { describe, it } from 'vitest';
import { parseClusterNodes } from '../src/index.js';

const spec = process.env.REDIS_CLUSTER_NODES;

/** A connected Cluster client whose cluster state is ok, or why there is none. */
export async function connectCluster(): Promise<Cluster | string> {
  if (!spec) return 'REDIS_CLUSTER_NODES is not set';
  const cluster = new Cluster(parseClusterNodes(spec), {
    enableAutoPipelining: true,
    clusterRetryStrategy: (times) => (times > 3 ? null : 200),
  });
  cluster.on('error', () => {});
  try {
    const info = await Promise.race([
      cluster.cluster('INFO') as Promise<string>,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer in 5 s')), 5_000)),
    ]);
    if (!/cluster_state:ok/.test(info)) throw new Error('cluster_state is not ok');
    return cluster;
  } catch (error) {
    cluster.disconnect();
    return `Redis Cluster at ${spec} is not reachable: ${(error as Error).message}`;
  }
}

/** Register the suite `body` on a reachable cluster; else one failing test (CI) or a skipped one. */
export function describeOnCluster(name: string, cluster: Cluster | string, body: (cluster: Cluster) => void) {
  if (typeof cluster !== 'string') {
    describe(name, () => body(cluster));
    return;
  }
  describe(name, () => {
    if (process.env.CI === 'true' || spec !== undefined) {
      it('needs a reachable Redis Cluster', () => {
        throw new Error(`${cluster} (.ci/run starts one on 127.0.0.1:7001-7003)`);
      });
    } else {
      it.skip(`skipped: ${cluster}; set it (e.g. 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003) to run`, () => {});
    }
  });
}

/** Delete every key under `prefix` on every master (SCAN is per node; one key per UNLINK, slots differ). */
export async function dropClusterPrefix(cluster: Cluster, prefix: string): Promise<void> {
  for (const node of cluster.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      await Promise.all(keys.map((k) => cluster.unlink(k)));
    } while (cursor !== '0');
  }
}
