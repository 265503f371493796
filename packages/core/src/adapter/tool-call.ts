/**
 * One guarded tool call, the same in every adapter: caps first (whatever the
 * points), valid points, reserve, run, commit — and the circuit breaker
 * counting denials. Adapters turn the BudgetDeniedError it throws into what
 * their framework's users expect (a message, a ToolMessage, an isError result).
 */

import { APPROVAL_METADATA_KEY } from '../approvals/types.js';
import { isToolAllowed, mergeCaps } from '../caps.js';
import { GovernorError } from '../errors.js';
import { extendSubject } from '../governor/context.js';
import { toolDeniedByCaps } from '../governor/denial-text.js';
import { BudgetDeniedError } from '../governor/errors.js';
import type { LoopBreakerPolicy } from '../policy/loop-breaker.js';
import type { Action, Amount, Caps, Metadata, Subject, Unit } from '../protocol/types.js';
import { approvalBeforeReserve, approvalKey, pauseForApproval, rejectedDenial } from './approval.js';
import { loopBreakerMetadata } from './loop-breaker.js';
import { InvalidRiskPoints, type RiskPointSources, resolveRiskPoints } from './risk-points.js';

/** Client-side reason: the call's risk points are not a safe integer ≥ 0. */
export const INVALID_RISK_POINTS = 'INVALID_RISK_POINTS';

export interface ToolGuardOptions extends RiskPointSources {
  /** Levels added to the current subject for the call (e.g. `{ toolset: 'email' }`). */
  subject?: Partial<Subject> | undefined;
  /** The unit whose caps a 0-point call asks about; default RISK_POINTS. */
  capsUnit?: Unit | undefined;
  /** The loop breaker for calls with risk points; default the governor's; `false` turns it off. */
  loopBreaker?: LoopBreakerPolicy | false | undefined;
}

export interface ToolCall {
  name: string;
  args: unknown;
  /** The framework's id of this call (AI SDK toolCallId, LangChain tool_call id): its approval's key. */
  callId?: string | undefined;
  /** Points when neither the adapter nor the table name the tool (MCP: its annotations). */
  fallbackPoints?: () => number | undefined;
  /**
   * Once the tool has started, a failure is still charged (default): it may
   * have acted. Return `false` for errors that prove it did not run.
   */
  chargeFailure?: (error: unknown) => boolean;
}

/** Budget states in which a unit has no caps to ask about (no budget in it). */
const NO_CAPS = new Set(['NOT_FOUND', 'UNIT_MISMATCH']);

/**
 * Run `execute` for one tool call under the governor. Throws
 * BudgetDeniedError — budget spent, TOOL_DENIED_BY_CAPS, INVALID_RISK_POINTS
 * — and then `execute` never runs. A 0-point call reserves nothing but is
 * still checked against the caps in force.
 */
export async function governToolCall<T>(
  options: ToolGuardOptions,
  call: ToolCall,
  execute: () => Promise<T> | T,
): Promise<T> {
  const { governor } = options;
  const { subject, action } = toolCallOf(options, call.name);
  const deny = (error: BudgetDeniedError): never => {
    governor.recordToolOutcome(subject, action, true);
    throw error;
  };
  const points = resolveRiskPoints(call.name, call.args, options, call.fallbackPoints);
  if (points instanceof InvalidRiskPoints) deny(invalidPoints(subject, action, points));
  const amount = points as number;
  const estimate: Amount = { unit: 'RISK_POINTS', amount };
  const paceDenial = (caps: Caps | undefined) => {
    const slow = governor.admitToolCall(subject, caps);
    return slow ? new BudgetDeniedError({ ...slow, subject, action, estimate }) : undefined;
  };
  if (!isToolAllowed(governor.capsInForce(subject), call.name))
    deny(toolDeniedByCaps({ subject, action, estimate }));
  if (amount === 0) {
    const unit = options.capsUnit ?? 'RISK_POINTS';
    const caps = mergeCaps(await currentCaps(options, action, unit), governor.capsInForce(subject));
    if (!isToolAllowed(caps, call.name)) deny(toolDeniedByCaps({ subject, action, estimate }));
    const slow = paceDenial(caps);
    if (slow) deny(slow);
    const value = await execute();
    governor.recordToolOutcome(subject, action, false);
    return value;
  }
  let failure: { error: unknown } | undefined;
  const key = governor.approvals && approvalKey(subject, action, call);
  const approved = await approvalBeforeReserve(governor, subject, key);
  if (approved.rejected) deny(rejectedDenial(approved.rejected, estimate));
  const metadata = withApproval(loopBreakerMetadata(governor, options.loopBreaker, call.args), approved);
  try {
    const value = await governor.run(
      {
        action,
        estimate,
        ...(options.subject ? { subject: options.subject } : {}),
        ...(metadata ? { metadata } : {}),
      },
      async (grant) => {
        const caps = mergeCaps(grant.caps, governor.capsInForce(subject));
        if (grant.enforced && !isToolAllowed(caps, call.name)) throw toolDeniedByCaps(grant);
        const slow = grant.enforced ? paceDenial(caps) : undefined;
        if (slow) throw slow; // released; counted below
        try {
          return { value: await execute(), actual: amount };
        } catch (error) {
          if (call.chargeFailure?.(error) === false) throw error;
          failure = { error };
          return { value: undefined as T, actual: amount };
        }
      },
    );
    if (failure) throw failure.error;
    governor.recordToolOutcome(subject, action, false);
    return value;
  } catch (error) {
    if (!failure && BudgetDeniedError.isInstance(error) && sameAction(error.action, action))
      deny((await pauseForApproval(governor, error, key)) ?? error);
    throw error;
  }
}

/** Who a guarded call of tool `name` acts as (the current subject with the guard's levels), and its action. */
export function toolCallOf(
  options: Pick<ToolGuardOptions, 'governor' | 'subject' | 'kind'>,
  name: string,
): { subject: Subject; action: Action } {
  return {
    subject: extendSubject(options.governor.subject, options.subject),
    action: { kind: options.kind ?? 'tool.call', name },
  };
}

/** The caps in force for the current subject in `unit` now: a dry decision for 0, nothing reserved. */
export async function currentCaps(
  options: Pick<ToolGuardOptions, 'governor' | 'subject'>,
  action: Action,
  unit: Unit,
): Promise<Caps | undefined> {
  try {
    const decision = await options.governor.decide({
      action,
      estimate: { unit, amount: 0 },
      ...(options.subject ? { subject: options.subject } : {}),
    });
    return decision.caps;
  } catch (error) {
    if (GovernorError.isInstance(error) && NO_CAPS.has(error.code)) return undefined;
    throw error;
  }
}

function invalidPoints(subject: Subject, action: Action, invalid: InvalidRiskPoints): BudgetDeniedError {
  return new BudgetDeniedError({
    reasonCode: INVALID_RISK_POINTS,
    subject,
    action,
    estimate: { unit: 'RISK_POINTS', amount: 0 },
    detail: `its risk points ${invalid.problem}`,
  });
}

const sameAction = (a: Action, b: Action) => a.kind === b.kind && a.name === b.name;

function withApproval(
  metadata: Metadata | undefined,
  approved: { approvalId?: string },
): Metadata | undefined {
  if (!approved.approvalId) return metadata;
  return { ...metadata, [APPROVAL_METADATA_KEY]: approved.approvalId };
}
