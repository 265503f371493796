/**
 * What every adapter does when a tool call pauses for approval (the guard
 * threw ApprovalRequiredError): how its framework waits for the decision, and
 * the prompt it shows (a LangChain interrupt's value, an MCP elicitation's
 * message). The answer a model reads meanwhile is `deniedToolMessage`'s.
 */
import { approvalCommands, denialReason } from '../governor/denial-text.js';
import { BudgetDeniedError } from '../governor/errors.js';
import type { Amount } from '../protocol/types.js';
import type { ApprovalRequiredError } from './approval.js';

/**
 * How an adapter's framework waits for a decision on a paused call: resolve
 * `retry` once it may be decided (the guard looks again: approved runs once,
 * rejected is denied, still pending pauses again), or `answer` to answer now
 * with the pause. It may throw instead (LangChain's `interrupt`).
 */
export type ApprovalWait = (
  paused: ApprovalRequiredError,
) => Promise<'retry' | 'answer'> | 'retry' | 'answer';

/** A paused call as a framework shows it to a person: plain JSON. */
export interface ApprovalPrompt {
  approvalId: string;
  tenant: string;
  tool: string;
  args: unknown;
  /** The denial the approval stands for: BUDGET_EXCEEDED, RATE_LIMITED, LOOP_DETECTED… */
  reasonCode: string;
  /** Why, in words: "the risk-point budget for tenant:acme/run:7 is spent". */
  reason: string;
  /** The scope that denied it. */
  scope?: string;
  /** What the call reserves once approved. */
  estimate: Amount;
  /** The approval expires then (ms since the epoch, the ledger's clock). */
  expiresAtMs: number;
  /** The operator's commands: `governor approvals approve <id> --tenant <tenant>`, and reject. */
  approve: string;
  reject: string;
}

/** The prompt for a paused call. */
export function approvalPrompt(
  paused: ApprovalRequiredError,
  call: { name: string; args: unknown },
): ApprovalPrompt {
  const { approval } = paused;
  const scope = approval.blockedScope ?? paused.scope;
  return {
    approvalId: approval.approvalId,
    tenant: approval.tenant,
    tool: call.name,
    args: call.args ?? {},
    reasonCode: paused.deniedFor,
    reason: denialReason(deniedFor(paused)),
    ...(scope ? { scope } : {}),
    estimate: approval.estimate,
    expiresAtMs: approval.expiresAtMs,
    ...approvalCommands(approval),
  };
}

/** The denial a pause stands for (its reason, without the approval's). */
const deniedFor = (paused: ApprovalRequiredError) =>
  new BudgetDeniedError({
    reasonCode: paused.deniedFor,
    scope: paused.scope,
    subject: paused.subject,
    action: paused.action,
    estimate: paused.estimate,
  });
