/**
 * Reservation ids carry their tenant, so a commit finds the tenant's keys
 * without a lookup: `rsv_<tenant>.<uuid>`, or `rsv_~<uuid>` for a tenant too
 * long to embed (then a `reservationTenant` key maps the id to it).
 */
import { randomUUID } from 'node:crypto';

const MAX_EMBEDDED_TENANT = 128 - 'rsv_'.length - 1 - 36;
const RID = /^rsv_([a-zA-Z0-9_.-]+)\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LONG_RID = /^rsv_~[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TENANT_OF_SCOPE = /^tenant:([a-zA-Z0-9_.-]{1,128})(?:\/|$)/;

export function newReservationId(tenant: string): string {
  return tenant.length <= MAX_EMBEDDED_TENANT ? `rsv_${tenant}.${randomUUID()}` : `rsv_~${randomUUID()}`;
}

/** The tenant embedded in `id`, if it has one. */
export function embeddedTenant(id: string): string | undefined {
  return RID.exec(id)?.[1];
}

/** Whether `id` is one of a tenant too long to embed. */
export function isLongTenantId(id: string): boolean {
  return LONG_RID.test(id);
}

/** The tenant of a budget scope (`tenant:acme/…`), undefined when it names none. */
export function tenantOfBudgetScope(scope: string): string | undefined {
  return TENANT_OF_SCOPE.exec(scope)?.[1];
}
