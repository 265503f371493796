import { ApprovalRequiredError, type BudgetDeniedError, deniedToolMessage } from '@governor/core';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** A denial as a sentence a model can read and act on: why, which scope, when to retry (core's wording, shared by every adapter). */
export const deniedMessage = deniedToolMessage;

/** The `isError` result a denied call returns; details also under `_meta["governor/denial"]`. */
export function deniedResult(denial: BudgetDeniedError, toolName: string): CallToolResult {
  return {
    content: [{ type: 'text', text: deniedMessage(denial, toolName) }],
    isError: true,
    _meta: {
      'governor/denial': {
        reasonCode: denial.reasonCode,
        ...(denial.scope ? { scope: denial.scope } : {}),
        ...(denial.retryAfterMs !== undefined ? { retryAfterMs: denial.retryAfterMs } : {}),
        ...(ApprovalRequiredError.isInstance(denial) ? { approvalId: denial.approval.approvalId } : {}),
        estimate: denial.estimate,
      },
    },
  };
}
