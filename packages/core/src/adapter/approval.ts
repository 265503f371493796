/**
 * The tool guard's side of approvals: a denial the governor's approval
 * policy names becomes a pause (ApprovalRequiredError, with the approval the
 * ledger now holds); the same call made again after an operator decided runs
 * with its approval, or is denied as rejected. One key per call — the
 * framework's tool call id, else a hash of run, tool and arguments — so asking
 * again never makes a second approval, and a retry after approval finds it.
 */
import { createHash } from 'node:crypto';
import type { Approval } from '../approvals/types.js';
import { sleepUnlessAborted } from '../clock.js';
import { denialReason } from '../governor/denial-text.js';
import { BudgetDeniedError } from '../governor/errors.js';
import type { Governor } from '../governor/governor.js';
import { approvalRuleFor } from '../policy/approvals.js';
import type { Action, Amount, Subject } from '../protocol/types.js';
import { scopePathOf } from '../scopes.js';
import { argsHash } from './loop-breaker.js';

/**
 * The call is paused: the ledger holds `approval` (PENDING) until an operator
 * approves or rejects it. `deniedFor` is the denial it stands for
 * (BUDGET_EXCEEDED, RATE_LIMITED, LOOP_DETECTED).
 */
export class ApprovalRequiredError extends BudgetDeniedError {
  static override readonly marker = 'ApprovalRequiredError';
  readonly approval: Approval;
  readonly deniedFor: string;

  constructor(denial: BudgetDeniedError, approval: Approval) {
    super({
      reasonCode: 'APPROVAL_REQUIRED',
      scope: denial.scope,
      subject: denial.subject,
      action: denial.action,
      estimate: denial.estimate,
      detail: `${denialReason(denial)}; approval ${approval.approvalId} is ${approval.status.toLowerCase()}`,
    });
    this.approval = approval;
    this.deniedFor = denial.reasonCode;
  }
}

/** The approval key of one tool call: its framework id when it has one, else run + tool + arguments. */
export function approvalKey(
  subject: Subject,
  action: Action,
  call: { callId?: string; args: unknown },
): string {
  const scope = scopePathOf(subject);
  const identity = call.callId !== undefined ? `id:${call.callId}` : `args:${argsHash(call.args) ?? ''}`;
  return `tool:${createHash('sha256').update(`${scope}\n${action.kind}\n${action.name}\n${identity}`).digest('hex')}`;
}

/**
 * Where this call stands with approvals before it is reserved: the approval
 * id to reserve with (an operator approved it), or a denial (rejected), or
 * nothing (no approval yet, or none usable: the call is reserved as usual).
 */
export async function approvalBeforeReserve(
  governor: Governor,
  subject: Subject,
  key: string | undefined,
): Promise<{ approvalId?: string; rejected?: Approval }> {
  const settings = governor.approvals;
  if (!settings || key === undefined) return {};
  const found = await settings.ledger.findApproval(subject.tenant, key);
  if (found?.status === 'APPROVED') return { approvalId: found.approvalId };
  if (found?.status === 'REJECTED') return { rejected: found };
  return {};
}

/** The denial of a call whose approval was rejected. */
export function rejectedDenial(approval: Approval, estimate: Amount): BudgetDeniedError {
  return new BudgetDeniedError({
    reasonCode: 'APPROVAL_REJECTED',
    scope: approval.blockedScope,
    subject: approval.subject,
    action: approval.action,
    estimate,
    detail: `approval ${approval.approvalId} was rejected${decidedByText(approval)}`,
  });
}

/** Who decided an approval and their note, in words: ` by ops:ann: not this week` ('' when neither is known). */
export function decidedByText(approval: Pick<Approval, 'decidedBy' | 'note'>): string {
  const by = approval.decidedBy ? ` by ${approval.decidedBy}` : '';
  return approval.note ? `${by}: ${approval.note}` : by;
}

/**
 * The pause for a denial the approval policy names: asks the ledger for the
 * call's approval (the open one if it exists) and returns the error that
 * says so; undefined when the policy does not name this denial.
 */
export async function pauseForApproval(
  governor: Governor,
  denial: BudgetDeniedError,
  key: string | undefined,
): Promise<ApprovalRequiredError | undefined> {
  const settings = governor.approvals;
  if (!settings || key === undefined) return undefined;
  if (!approvalRuleFor(settings.policy, denial)) return undefined;
  const approval = await settings.ledger.requestApproval({
    key,
    subject: denial.subject,
    action: denial.action,
    estimate: denial.estimate,
    reasonCode: denial.reasonCode,
    ...(denial.scope ? { blockedScope: denial.scope } : {}),
    ttlMs: settings.policy.ttlMs,
  });
  if (approval.status === 'REJECTED') return undefined; // decided meanwhile: the denial stands
  return new ApprovalRequiredError(denial, approval);
}

export interface AwaitApprovalOptions {
  /** Give up (resolve with the approval as it stands, PENDING) after this long; default the approval's deadline. */
  timeoutMs?: number;
  /** How often to look, ms; default 1,000. */
  pollMs?: number;
  /** Stop waiting (resolve with the approval as it then stands) as soon as this aborts. */
  signal?: AbortSignal;
}

/**
 * Wait (on the governor's clock) until `approval` is decided or expires:
 * resolves with it as it then stands. For code with no framework pause of its
 * own; the adapters use their framework's instead.
 */
export async function awaitApproval(
  governor: Governor,
  approval: Pick<Approval, 'tenant' | 'approvalId' | 'expiresAtMs'>,
  options: AwaitApprovalOptions = {},
): Promise<Approval> {
  const settings = governor.approvals;
  if (!settings) throw new TypeError('awaitApproval: the governor has no approvals policy');
  const clock = governor.scheduler;
  const until = clock.now() + (options.timeoutMs ?? Math.max(0, approval.expiresAtMs - clock.now()));
  const pollMs = options.pollMs ?? 1_000;
  for (;;) {
    const now = await settings.ledger.getApproval(approval.tenant, approval.approvalId);
    if (now.status !== 'PENDING' || clock.now() >= until || options.signal?.aborted) return now;
    await sleepUnlessAborted(clock, Math.min(pollMs, Math.max(1, until - clock.now())), options.signal);
  }
}
