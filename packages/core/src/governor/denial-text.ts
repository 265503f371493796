import type { Approval } from '../approvals/types.js';
import { isToolAllowed } from '../caps.js';
import { BudgetDeniedError } from './errors.js';
import type { Grant } from './handle.js';

/**
 * Client-side reason code: the call asks for a tool that the grant's caps
 * deny (`tool_allowlist` / `tool_denylist`). Not a ledger reason; adapters use
 * it when caps, not budget, rule a tool out.
 */
export const TOOL_DENIED_BY_CAPS = 'TOOL_DENIED_BY_CAPS';

/** The denial of a call whose tool the grant's caps rule out. */
export function toolDeniedByCaps(grant: Pick<Grant, 'subject' | 'action' | 'estimate'>): BudgetDeniedError {
  return new BudgetDeniedError({
    reasonCode: TOOL_DENIED_BY_CAPS,
    subject: grant.subject,
    action: grant.action,
    estimate: grant.estimate,
  });
}

/** Throw `TOOL_DENIED_BY_CAPS` when an enforced grant's caps deny `toolName` (observe mode only reports). */
export function assertToolAllowed(grant: Grant, toolName: string): void {
  if (grant.enforced && !isToolAllowed(grant.caps, toolName)) throw toolDeniedByCaps(grant);
}

const BUDGET_NAMES: Record<string, string> = {
  RISK_POINTS: 'risk-point',
  USD_MICROCENTS: 'spending',
  TOKENS: 'token',
  CREDITS: 'credit',
};

/** Why a call was denied, in words: "the risk-point budget for tenant:acme/run:7 is spent". */
export function denialReason(denial: BudgetDeniedError): string {
  const budget = BUDGET_NAMES[denial.estimate.unit] ?? denial.estimate.unit;
  const where = denial.scope ? ` for ${denial.scope}` : '';
  if (denial.detail) return denial.detail;
  if (denial.reasonCode === 'RATE_LIMITED') return `the rate limit${where} is reached`;
  if (denial.reasonCode === 'LOOP_DETECTED')
    return `the same call with the same arguments repeats too often${where} (loop detected)`;
  return denial.reasonCode === 'BUDGET_EXCEEDED'
    ? `the ${budget} budget${where} is spent`
    : `the ${budget} budget${where} refused it (${denial.reasonCode})`;
}

/** A denied tool call as a result a model can read and act on (every adapter says it the same way). */
export function deniedToolMessage(denial: BudgetDeniedError, toolName: string): string {
  if (denial.reasonCode === TOOL_DENIED_BY_CAPS) {
    return `not executed: ${toolName} is not allowed any more in this run (budget caps). Do not call it again.`;
  }
  if (denial.reasonCode === 'APPROVAL_REQUIRED') {
    const { approval } = denial as { approval?: Pick<Approval, 'approvalId' | 'tenant'> };
    if (approval) return approvalPausedMessage(denial, approval, toolName);
    return `not executed yet: ${toolName} is paused for an operator's approval — ${denialReason(denial)}. Do not retry it yourself.`;
  }
  // When the authority says when, the model may try again then; otherwise it should stop.
  const next =
    denial.retryAfterMs !== undefined ? ` Retry after ${denial.retryAfterMs} ms.` : ' Do not call it again.';
  return `not executed: ${toolName} was denied — ${denialReason(denial)}.${next}`;
}

/** The CLI commands with which an operator decides an approval. */
export const approvalCommands = (approval: Pick<Approval, 'approvalId' | 'tenant'>) => ({
  approve: `governor approvals approve ${approval.approvalId} --tenant ${approval.tenant}`,
  reject: `governor approvals reject ${approval.approvalId} --tenant ${approval.tenant}`,
});

/** A call paused for `approval` that nobody could be asked about now: what waits, why, how it gets decided. */
export function approvalPausedMessage(
  denial: BudgetDeniedError,
  approval: Pick<Approval, 'approvalId' | 'tenant'>,
  toolName: string,
): string {
  const { approve, reject } = approvalCommands(approval);
  return (
    `not executed yet: ${toolName} waits for approval ${approval.approvalId} — ${denialReason(denial)}. ` +
    `An operator approves it with \`${approve}\` (or rejects it with \`${reject}\`); ` +
    'once approved, the same call with the same arguments runs once.'
  );
}

/** A loop ended by its circuit breaker, as an agent's final answer. */
export function circuitOpenMessage(consecutiveDenials: number): string {
  return (
    `Stopped: ${consecutiveDenials} tool calls in a row were denied by the budget authority, ` +
    'so the run ends here instead of paying for more model calls.'
  );
}

/** A denied model call as an agent's final answer. */
export function stoppedMessage(denial: BudgetDeniedError): string {
  return `Stopped: the next model call was denied — ${denialReason(denial)}.`;
}
