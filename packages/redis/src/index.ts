/**
 * `@governor/redis`: RedisAuthority, the Governor ledger on Redis (ioredis +
 * Lua). Same Authority and LedgerAdmin as MemoryAuthority, atomic across
 * processes, with every tenant's keys in one Redis Cluster hash slot.
 */
export { RedisUnavailableError } from './errors.js';
export { type IdempotentOperation, KeySpace } from './keys.js';
export { RedisAuthority, type RedisAuthorityOptions } from './redis-authority.js';
export { SCRIPT_NAMES, type ScriptName, scriptSources } from './scripts.js';
