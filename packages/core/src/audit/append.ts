/** Validation of `appendAudit`: records a ledger does not make itself (API keys created or revoked). */
import { z } from 'zod';
import { levelValue } from '../protocol/schemas.js';
import { validateRequest } from '../protocol/validate.js';
import { AUDIT_ALL_TENANTS } from './query.js';
import type { AuditEntry } from './types.js';

export type AuditAppend = Pick<AuditEntry, 'tenant' | 'operation'> &
  Partial<Pick<AuditEntry, 'actor' | 'traceId' | 'detail' | 'scopePath'>>;

const appendSchema = z.strictObject({
  tenant: z.union([levelValue, z.literal(AUDIT_ALL_TENANTS)]),
  operation: z.enum(['key.create', 'key.revoke']),
  actor: z.string().min(1).max(256).optional(),
  traceId: z.string().min(1).max(64).optional(),
  scopePath: z.string().min(1).max(1024).optional(),
  detail: z.record(z.string(), z.union([z.string().max(1024), z.number(), z.boolean(), z.null()])).optional(),
});

export function validateAuditAppend(input: AuditAppend): AuditAppend {
  return validateRequest(appendSchema, input) as AuditAppend;
}
