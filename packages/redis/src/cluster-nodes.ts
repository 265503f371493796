import type { ClusterNode } from 'ioredis';

/**
 * Redis Cluster startup nodes from text such as REDIS_CLUSTER_NODES:
 * `host:port` pairs separated by commas, e.g. `127.0.0.1:7001,127.0.0.1:7002`.
 */
export function parseClusterNodes(text: string): ClusterNode[] {
  const nodes = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((hostPort) => {
      const colon = hostPort.lastIndexOf(':');
      const host = hostPort.slice(0, colon);
      const port = Number(hostPort.slice(colon + 1));
      if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) {
        throw new RangeError(`"${hostPort}" is not host:port (in Redis Cluster nodes "${text}")`);
      }
      return { host, port };
    });
  if (nodes.length === 0) throw new RangeError(`no host:port in Redis Cluster nodes "${text}"`);
  return nodes;
}
