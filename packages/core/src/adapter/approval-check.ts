/**
 * For frameworks that ask before they run a tool (AI SDK `needsApproval`):
 * would the governor pause this call for approval? A dry decision, nothing
 * reserved; when the policy names its denial, the approval is asked for now,
 * so the framework's approval request and the ledger's stand for the same call.
 */
import type { Approval } from '../approvals/types.js';
import { GovernorError } from '../errors.js';
import { BudgetDeniedError } from '../governor/errors.js';
import { approvalKey, pauseForApproval } from './approval.js';
import { loopBreakerMetadata } from './loop-breaker.js';
import { InvalidRiskPoints, resolveRiskPoints } from './risk-points.js';
import { type ToolCall, type ToolGuardOptions, toolCallOf } from './tool-call.js';

const NO_BUDGET = new Set(['NOT_FOUND', 'UNIT_MISMATCH']);

/**
 * The approval this call waits for (PENDING), or undefined: no policy, no
 * points, already approved or rejected (the guard then runs or denies it),
 * or a call the budget allows.
 */
export async function approvalToAsk(
  options: ToolGuardOptions,
  call: ToolCall,
): Promise<Approval | undefined> {
  const { governor } = options;
  const settings = governor.approvals;
  if (!settings || governor.mode === 'observe') return undefined;
  const points = resolveRiskPoints(call.name, call.args, options, call.fallbackPoints);
  if (points instanceof InvalidRiskPoints || points === 0) return undefined;
  const { subject, action } = toolCallOf(options, call.name);
  const key = approvalKey(subject, action, call);
  const found = await settings.ledger.findApproval(subject.tenant, key);
  if (found?.status === 'PENDING') return found;
  if (found?.status === 'APPROVED' || found?.status === 'REJECTED') return undefined;
  const estimate = { unit: 'RISK_POINTS' as const, amount: points };
  const metadata = loopBreakerMetadata(governor, options.loopBreaker, call.args);
  const decision = await governor
    .decide({
      action,
      estimate,
      ...(options.subject ? { subject: options.subject } : {}),
      ...(metadata ? { metadata } : {}),
    })
    .catch((error: unknown) => {
      // No RISK_POINTS budget here: nothing to approve (the guard answers the call as usual).
      if (GovernorError.isInstance(error) && NO_BUDGET.has(error.code)) return undefined;
      throw error;
    });
  if (decision?.decision !== 'DENY') return undefined;
  const denial = new BudgetDeniedError({
    reasonCode: decision.reasonCode ?? 'BUDGET_EXCEEDED',
    scope: decision.blockedScope,
    subject,
    action,
    estimate,
  });
  return (await pauseForApproval(governor, denial, key))?.approval;
}
