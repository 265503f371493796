/**
 * `@governor/server`: a Cycles Protocol v0 server over any Governor ledger —
 * the runtime plane, the admin plane (tenants, API keys, budgets, policy),
 * health and Prometheus metrics.
 */
export { newApiKey, parseApiKey } from './keys.js';
export { ServerMetrics } from './metrics.js';
export { RedisIdentityStore, type RedisIdentityStoreOptions } from './redis-store.js';
export { type OpenServer, type OpenServerOptions, openServer } from './serve.js';
export {
  createServer,
  type GovernorServer,
  type Plane,
  type Principal,
  type RateLimitOptions,
  type ServerOptions,
} from './server.js';
export {
  type ApiKeyRecord,
  type ApiKeyStatus,
  type IdentityStore,
  MemoryIdentityStore,
  type RememberedAnswer,
  type TenantRecord,
  type TenantStatus,
} from './store.js';
export { traceOf } from './tracing.js';
