/** Validation of every approval call: an InvalidRequestError naming the field, before the ledger sees it. */
import { z } from 'zod';
import { action, amount, subject } from '../protocol/schemas.js';
import { REASON_CODES } from '../protocol/types.js';
import { validateRequest } from '../protocol/validate.js';
import { APPROVAL_ID } from './rules.js';
import {
  APPROVAL_STATUSES,
  type ApprovalDecision,
  type ApprovalQuery,
  type ApprovalRequest,
} from './types.js';

const tenant = z.string().min(1).max(128);
export const approvalId = z.string().regex(APPROVAL_ID, { error: 'must be an approval id (apr_…)' });
const key = z.string().min(1).max(256);

const approvalRequest = z.strictObject({
  key,
  subject,
  action,
  estimate: amount,
  reasonCode: z.union([z.enum(REASON_CODES), z.string().regex(/^[A-Z_]{1,64}$/)]),
  blockedScope: z.string().min(1).max(1024).optional(),
  ttlMs: z
    .number()
    .int()
    .min(1_000)
    .max(30 * 86_400_000),
});

const approvalDecision = z.strictObject({
  tenant,
  approvalId,
  decision: z.enum(['APPROVE', 'REJECT']),
  actor: z.string().min(1).max(256).optional(),
  note: z.string().max(1024).optional(),
});

const approvalQuery = z.strictObject({
  tenant: tenant.optional(),
  status: z.enum(APPROVAL_STATUSES).optional(),
  limit: z.number().int().min(1).max(1_000).optional(),
});

export const checkApprovalRequest = (input: unknown): ApprovalRequest =>
  validateRequest(approvalRequest, input) as ApprovalRequest;
export const checkApprovalDecision = (input: unknown): ApprovalDecision =>
  validateRequest(approvalDecision, input) as ApprovalDecision;
export const checkApprovalQuery = (input: unknown): ApprovalQuery =>
  validateRequest(approvalQuery, input ?? {}) as ApprovalQuery;
export const checkTenant = (input: unknown, path = 'tenant'): string =>
  validateRequest(tenant, input, [path]);
export const checkApprovalId = (input: unknown): string => validateRequest(approvalId, input, ['approvalId']);
export const checkKey = (input: unknown): string => validateRequest(key, input, ['key']);
