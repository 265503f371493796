/**
 * Answering the AI SDK's tool approval requests from the ledger: after a run
 * stops with `tool-approval-request` parts for governed calls, wait for an
 * operator's decision (`governor approvals approve|reject`, the admin API, the
 * console) and turn each decision into the `tool-approval-response` the next
 * `generateText` / `streamText` call needs to resume the run where it paused.
 */
import {
  type Approval,
  type AwaitApprovalOptions,
  approvalKey,
  awaitApproval,
  decidedByText,
  toolCallOf,
  toolGuardFor,
} from '@governor/core';
import type { ToolApprovalResponse, ToolModelMessage } from 'ai';
import type { GovernToolsOptions } from './options.js';

interface ApprovalRequestPart {
  type: 'tool-approval-request';
  approvalId: string;
  toolCall: { toolCallId: string; toolName: string };
}

export interface ApprovalResponses {
  /** The responses to send back: one per governed request whose approval was decided. */
  responses: ToolApprovalResponse[];
  /** `{ role: 'tool', content: responses }`, to append to the messages; undefined when there are none. */
  message: ToolModelMessage | undefined;
  /** The governed requests still waiting (not decided within the wait). */
  pending: Approval[];
  /** The ledger's approval behind each answered request, by the SDK's approval id. */
  decided: Map<string, Approval>;
}

/**
 * The responses to the governed approval requests in `result.content` (a
 * `generateText` result, or the parts of a stream), waiting for each decision
 * up to `wait` (`false`: do not wait, answer what is decided). Requests the
 * governor did not make (a tool's own `needsApproval`) are left to the caller.
 * Call it in the same run context as the run (same `withRun` / subject).
 */
export async function approvalResponses(
  result: { content: ReadonlyArray<{ type: string }> },
  options: GovernToolsOptions & { wait?: AwaitApprovalOptions | false },
): Promise<ApprovalResponses> {
  const { governor } = options;
  const settings = governor.approvals;
  const out: ApprovalResponses = { responses: [], message: undefined, pending: [], decided: new Map() };
  if (!settings) return out;
  const requests = result.content.filter((p): p is ApprovalRequestPart => p.type === 'tool-approval-request');
  for (const request of requests) {
    const { toolName, toolCallId } = request.toolCall;
    const { subject, action } = toolCallOf(toolGuardFor(options, toolName), toolName);
    const key = approvalKey(subject, action, { callId: toolCallId, args: undefined });
    const found = await settings.ledger.findApproval(subject.tenant, key);
    if (!found) continue;
    const approval =
      found.status === 'PENDING' && options.wait !== false
        ? await awaitApproval(governor, found, options.wait)
        : found;
    if (approval.status === 'PENDING') {
      out.pending.push(approval);
      continue;
    }
    out.decided.set(request.approvalId, approval);
    out.responses.push({
      type: 'tool-approval-response',
      approvalId: request.approvalId,
      approved: approval.status === 'APPROVED' || approval.status === 'USED',
      reason: reasonOf(approval),
    });
  }
  if (out.responses.length > 0) out.message = { role: 'tool', content: out.responses };
  return out;
}

function reasonOf(a: Approval): string {
  if (a.status === 'EXPIRED') return `approval ${a.approvalId} expired without a decision`;
  return `${a.status === 'REJECTED' ? 'rejected' : 'approved'}${decidedByText(a)} (${a.approvalId})`;
}
