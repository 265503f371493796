/** The parts RedisAuthority's planes share: calls, keys, settings, caches, the sweep, the tenant index. */
import type { Cluster, Redis } from 'ioredis';
import { BudgetKeys } from './budget-keys.js';
import { ConfigCache } from './config-cache.js';
import { ExpirySweep } from './expiry-sweep.js';
import type { KeySpace } from './keys.js';
import { type RedisAuthorityOptions, type Settings, settingsOf } from './options.js';
import { RedisCalls } from './redis-calls.js';
import { TenantIndex } from './tenant-index.js';

export interface LedgerParts {
  readonly calls: RedisCalls;
  readonly keys: KeySpace;
  readonly settings: Settings;
  readonly config: ConfigCache;
  readonly sweep: ExpirySweep;
  readonly budgetKeys: BudgetKeys;
  readonly tenants: TenantIndex;
}

export function ledgerParts(
  client: Redis | Cluster,
  keys: KeySpace,
  options: RedisAuthorityOptions,
): LedgerParts {
  const settings = settingsOf(options);
  const calls = new RedisCalls(client, keys, options.testClock, settings.audit);
  const budgetKeys = new BudgetKeys(calls);
  return {
    calls,
    keys,
    settings,
    config: new ConfigCache(calls, options.configCacheMs ?? 1_000),
    sweep: new ExpirySweep(calls, budgetKeys, settings.rsvRetention),
    budgetKeys,
    tenants: new TenantIndex(calls, settings.rsvRetention + settings.idemRetention),
  };
}
