/**
 * RedisAuthority benchmarks: the same reserve+commit scenarios as memory, on a
 * real Redis at REDIS_URL (default redis://127.0.0.1:6379), each in its own key
 * prefix (removed afterwards), next to redis-benchmark's own EVALSHA rate on
 * this machine as the ceiling. Skipped, with a message, when no Redis answers.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Authority, LedgerAdmin } from '@governor/core';
import { RedisAuthority } from '@governor/redis';
import {
  type LedgerFactory,
  latencyScenario,
  ROUND_TRIPS_BASELINE,
  type Scenario,
  throughputScenario,
} from './harness.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The targets: ≥ 20,000 pairs/s at concurrency 64, p99 ≤ 1 ms at concurrency 1. */
export const REDIS_TARGET_PAIRS_PER_SECOND = 20_000;
export const REDIS_TARGET_P99_US = 1_000;

export async function redisAnswers(url = REDIS_URL): Promise<boolean> {
  const probe = new RedisAuthority({
    url,
    keyPrefix: 'gov-bench-probe',
    redisOptions: {
      maxRetriesPerRequest: 0,
      connectTimeout: 1_000,
      retryStrategy: () => null,
      lazyConnect: true,
    },
  });
  try {
    await probe.client.connect();
    return (await probe.client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.client.disconnect();
  }
}

const redisFactory: LedgerFactory = async () => {
  const prefix = `gov-bench-${randomUUID().slice(0, 8)}:`;
  const ledger = new RedisAuthority({ url: REDIS_URL, keyPrefix: prefix });
  const close = async () => {
    let cursor = '0';
    do {
      const [next, keys] = await ledger.client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await ledger.client.unlink(...keys);
    } while (cursor !== '0');
    await ledger.quit();
  };
  return { authority: ledger, admin: ledger, close };
};

/**
 * The baseline of a pair's latency: a "reserve" and a "commit" that are each
 * one EVALSHA of `return 1` on a RedisAuthority's own client (same connection
 * settings, same auto-pipelining) — two round trips and nothing else.
 */
const trivialPairFactory: LedgerFactory = async () => {
  const ledger = new RedisAuthority({ url: REDIS_URL, keyPrefix: 'gov-bench-trivial:' });
  const sha = (await ledger.client.script('LOAD', 'return 1')) as string;
  const call = () => ledger.client.evalsha(sha, 0);
  const authority = {
    reserve: async () => {
      await call();
      return { decision: 'ALLOW', reservationId: 'trivial', affectedScopes: [] };
    },
    commit: async () => {
      await call();
      return { status: 'COMMITTED' };
    },
  } as unknown as Authority;
  const admin = { createBudget: async () => undefined } as unknown as LedgerAdmin;
  return { authority, admin, close: () => ledger.quit() };
};

export function redisScenarios(): Scenario[] {
  return [
    ...[1, 16, 64].map((c) => throughputScenario('redis', redisFactory, c)),
    latencyScenario(ROUND_TRIPS_BASELINE, trivialPairFactory),
    latencyScenario('redis', redisFactory),
  ];
}

/** redis-benchmark running a trivial EVALSHA at concurrency 64: what one script call can do here. */
export function evalshaCeiling(requests: number, url = REDIS_URL): number | undefined {
  try {
    const { hostname, port } = new URL(url);
    const cli = (...args: string[]) =>
      execFileSync(args[0] as string, args.slice(1), {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    const sha = cli('redis-cli', '-h', hostname, '-p', port || '6379', 'SCRIPT', 'LOAD', 'return 1').trim();
    const out = cli(
      'redis-benchmark',
      '-h',
      hostname,
      '-p',
      port || '6379',
      '-n',
      String(requests),
      '-c',
      '64',
      '-q',
      'EVALSHA',
      sha,
      '0',
    );
    const match = /([\d.]+) requests per second/.exec(out);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
