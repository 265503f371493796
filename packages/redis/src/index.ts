/**
 * `@governor/redis`: RedisAuthority, the Governor ledger on Redis (ioredis +
 * Lua). Same Authority and LedgerAdmin as MemoryAuthority, atomic across
 * processes, on one Redis or a Redis Cluster (every tenant's keys in one hash slot).
 */
export { parseClusterNodes } from './cluster-nodes.js';
export { RedisUnavailableError } from './errors.js';
export { type IdempotentOperation, KeySpace } from './keys.js';
export { RedisAuthority, type RedisAuthorityOptions } from './redis-authority.js';
export { SCRIPT_NAMES, type ScriptName, scriptSources } from './scripts.js';
