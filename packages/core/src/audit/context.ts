/**
 * Who is calling, for the audit trail: an API key id set by a server around
 * the calls it makes for that key, else this process. The trace id is the
 * active OpenTelemetry span's, when there is one.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { hostname } from 'node:os';
import { trace } from '@opentelemetry/api';

export interface AuditContext {
  /** e.g. `key:k_123`; default `process:<host>:<pid>`. */
  actor?: string;
  traceId?: string;
}

const storage = new AsyncLocalStorage<AuditContext>();
let processActor: string | undefined;

/** Run `fn` with `context` as the audit context of every ledger call it makes. */
export function withAuditContext<T>(context: AuditContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The actor and trace id to record for a call made now. */
export function currentAuditContext(): { actor: string; traceId?: string } {
  const ctx = storage.getStore();
  processActor ??= `process:${hostname()}:${process.pid}`;
  const actor = ctx?.actor ?? processActor;
  const span = trace.getActiveSpan()?.spanContext();
  const traceId = ctx?.traceId ?? (span && span.traceId !== '0'.repeat(32) ? span.traceId : undefined);
  return traceId ? { actor, traceId } : { actor };
}
