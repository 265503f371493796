import {
  type Authority,
  canonicalJson,
  type GovernorPolicy,
  type LedgerAdmin,
  MemoryAuthority,
} from '@governor/core';
import { RedisAuthority } from '@governor/redis';
import type { ProxyConfig } from './args.js';

export interface Ledger {
  authority: Authority & LedgerAdmin;
  /** Survives a restart of the proxy (and is shared by every proxy on it). */
  durable: boolean;
  close(): Promise<void>;
}

/** The ledger the flags choose: Redis (`--redis`), a SQLite file (`--ledger`), else in memory. One line per kind. */
export async function openLedger(config: Pick<ProxyConfig, 'redis' | 'ledger'>): Promise<Ledger> {
  if (config.redis) return openRedis(config.redis.url, config.redis.prefix);
  if (config.ledger) return openSqlite(config.ledger);
  return { authority: new MemoryAuthority(), durable: false, close: async () => undefined };
}

async function openRedis(url: string, prefix: string): Promise<Ledger> {
  const authority = new RedisAuthority({ url, keyPrefix: prefix, redisOptions: { connectTimeout: 3_000 } });
  try {
    await authority.client.ping();
  } catch (error) {
    authority.client.disconnect();
    throw new Error(`cannot reach Redis at ${url}: ${(error as Error).message}`);
  }
  return { authority, durable: true, close: () => authority.quit() };
}

async function openSqlite(path: string): Promise<Ledger> {
  const { SqliteAuthority } = await import('@governor/sqlite');
  const authority = new SqliteAuthority({ path });
  return { authority, durable: true, close: () => authority.close() };
}

/**
 * Provision the ledger from a policy, idempotently: a budget that exists
 * already is left alone (its spend is never re-funded), a template already
 * there is not added twice, the degradation policy is set.
 */
export async function applyBudgets(admin: LedgerAdmin, policy: GovernorPolicy): Promise<void> {
  for (const budget of policy.budgets ?? []) {
    if (!(await admin.getBudget({ scope: budget.scope, unit: budget.unit })))
      await admin.createBudget(budget);
  }
  const present = new Set((await admin.listTemplates()).map((t) => canonicalJson(t)));
  for (const template of policy.templates ?? []) {
    if (!present.has(canonicalJson(template))) await admin.addTemplate(template);
  }
  if (policy.degradation) await admin.setDegradationPolicy(policy.degradation);
}
