import { approvalToAsk, checkAdapterOptions, guardToolCall, toolGuardFor } from '@governor/core';
import type { Tool, ToolExecutionOptions, ToolSet } from 'ai';
import { type GovernToolsOptions, optionSchemas } from './options.js';

export type { GovernToolsOptions } from './options.js';

type Execute = (input: unknown, options: ToolExecutionOptions<unknown>) => unknown;
type NeedsApproval = Exclude<NonNullable<Tool['needsApproval']>, boolean>;

/**
 * `tools` with every `execute` guarded by core's tool guard: the caps in
 * force first (whatever the points), valid points, reserve the call's
 * RISK_POINTS, run, commit them — a tool that started and then threw is
 * charged too (it may have acted). A denied call does not run: it answers
 * with a result the model can read (or throws with `onDeny: 'throw'`);
 * consecutive denials count towards the run's circuit breaker.
 *
 * With the governor's `approvals` policy, a call whose denial the policy
 * names asks for the AI SDK's tool approval instead (`needsApproval`): the
 * run stops with a `tool-approval-request`, the ledger holds the approval, and
 * `approvalResponses` answers it once an operator decided. The approved call
 * then runs once, admitted by the ledger.
 */
export function governTools<TOOLS extends ToolSet>(tools: TOOLS, options: GovernToolsOptions): TOOLS {
  checkAdapterOptions(options, 'governTools', optionSchemas.tools);
  const out: Record<string, unknown> = {};
  for (const [name, tool] of Object.entries(tools)) {
    const execute = tool.execute as Execute | undefined;
    if (!execute) {
      out[name] = tool;
      continue;
    }
    const guarded: Execute = (input, run) =>
      guardToolCall(options, { name, args: input, callId: run.toolCallId }, async () => execute(input, run));
    out[name] = options.governor.approvals
      ? {
          ...tool,
          execute: guarded,
          needsApproval: needsApprovalFor(options, name, tool.needsApproval as Tool['needsApproval']),
        }
      : { ...tool, execute: guarded };
  }
  return out as TOOLS;
}

/** The tool's own `needsApproval`, or else: does the governor pause this call for approval? */
function needsApprovalFor(
  options: GovernToolsOptions,
  name: string,
  own: boolean | NeedsApproval | undefined,
): NeedsApproval {
  return async (input, run) => {
    if (own === true || (typeof own === 'function' && (await own(input, run)))) return true;
    const approval = await approvalToAsk(toolGuardFor(options, name), {
      name,
      args: input,
      callId: run.toolCallId,
    });
    return approval !== undefined;
  };
}
