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
  type DeliveryRecord,
  type IdentityStore,
  MemoryIdentityStore,
  type RememberedAnswer,
  type TenantRecord,
  type TenantStatus,
  type WebhookRecord,
  type WebhookState,
  type WebhookStatePatch,
} from './store.js';
export { traceOf } from './tracing.js';
export {
  DEFAULT_THRESHOLDS,
  eventsOfRecord,
  WEBHOOK_EVENT_TYPES,
  type WebhookEvent,
  type WebhookEventType,
} from './webhooks/events.js';
export { blockedAddress, checkTarget, type TargetPolicy, TargetRefusedError } from './webhooks/targets.js';
export { backoffMs, signatureOf, type WebhookOptions, WebhookWorker } from './webhooks/worker.js';
