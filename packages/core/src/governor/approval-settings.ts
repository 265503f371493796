/**
 * A governor's approval settings, checked when it is created: the policy
 * (validated, ttl filled in) and the authority's approval ledger.
 */
import { type ApprovalLedger, isApprovalLedger } from '../approvals/types.js';
import type { Authority } from '../authority.js';
import { InvalidRequestError } from '../errors.js';
import { type ApprovalPolicy, approvalPolicy, DEFAULT_APPROVAL_TTL_MS } from '../policy/approvals.js';
import { validate } from '../protocol/validate.js';

export interface ApprovalSettings {
  policy: ApprovalPolicy & { ttlMs: number };
  ledger: ApprovalLedger;
}

export function approvalSettings(
  policy: ApprovalPolicy | undefined,
  authority: Authority,
): ApprovalSettings | undefined {
  if (policy === undefined) return undefined;
  const checked = validate(approvalPolicy, policy, ['approvals']) as ApprovalPolicy;
  if (!isApprovalLedger(authority)) {
    throw new InvalidRequestError([
      {
        path: 'approvals',
        message: `needs an authority that keeps approvals (MemoryAuthority, RedisAuthority, HttpAuthority); ${authority?.constructor?.name ?? 'this one'} does not`,
      },
    ]);
  }
  return { policy: { ...checked, ttlMs: checked.ttlMs ?? DEFAULT_APPROVAL_TTL_MS }, ledger: authority };
}
