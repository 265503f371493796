import { type ApprovalWait, approvalPrompt, type Governor } from '@governor/core';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';

/** The one field the host's user answers. */
const REQUESTED_SCHEMA = {
  type: 'object' as const,
  properties: {
    approve: {
      type: 'boolean' as const,
      title: 'Approve this call',
      description: 'Yes: it runs once, and its budget is raised by what it lacks. No: it is rejected.',
    },
  },
  required: ['approve'],
};

/**
 * A paused call asked of the host's user by elicitation, when the host
 * declared it (else undefined: the call answers that it waits for an
 * operator). Accepted with `approve: true` → APPROVE, declined or `false` →
 * REJECT, recorded in the ledger as `mcp-host:<client name>`; then the guard
 * looks again (approved runs once, rejected is denied). Cancelled, or the
 * host fails to answer: the call answers that it waits. Asked once per call.
 */
export function elicitApproval(
  server: Server,
  governor: Governor,
  call: { name: string; args: unknown },
  options: RequestOptions,
): ApprovalWait | undefined {
  const ledger = governor.approvals?.ledger;
  if (!ledger || !server.getClientCapabilities()?.elicitation?.form) return undefined;
  const actor = `mcp-host:${server.getClientVersion()?.name ?? 'unknown'}`;
  let asked = false;
  return async (paused) => {
    if (asked) return 'answer';
    asked = true;
    const prompt = approvalPrompt(paused, call);
    const message =
      `Governor paused the tool call ${call.name} ${shortJson(prompt.args)}: ${prompt.reason}. ` +
      `Approve it (approval ${prompt.approvalId})?`;
    const answer = await server
      .elicitInput({ mode: 'form', message, requestedSchema: REQUESTED_SCHEMA }, options)
      .catch(() => undefined);
    if (!answer || answer.action === 'cancel') return 'answer';
    const approve = answer.action === 'accept' && answer.content?.approve === true;
    const decision = approve ? 'APPROVE' : 'REJECT';
    const { tenant, approvalId } = paused.approval;
    // Decided meanwhile (an operator was quicker): the ledger's decision stands, the guard reads it.
    await ledger.decideApproval({ tenant, approvalId, decision, actor }).catch(() => undefined);
    return 'retry';
  };
}

/** Arguments as JSON for a person to read: at most 400 characters (a file's whole content is not the question). */
function shortJson(args: unknown): string {
  const json = JSON.stringify(args) ?? '{}';
  return json.length <= 400 ? json : `${json.slice(0, 399)}…`;
}
