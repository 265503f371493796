import type { BudgetDeniedError } from '@governor/core';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

const BUDGET_NAMES: Record<string, string> = {
  RISK_POINTS: 'risk-point',
  USD_MICROCENTS: 'spending',
  TOKENS: 'token',
  CREDITS: 'credit',
};

/** A denial as a sentence a model can read and act on: why, which scope, when to retry. */
export function deniedMessage(denial: BudgetDeniedError, toolName: string): string {
  if (denial.reasonCode === 'TOOL_DENIED_BY_CAPS') {
    return `not executed: ${toolName} is not allowed any more in this run (budget caps). Do not call it again.`;
  }
  const budget = BUDGET_NAMES[denial.estimate.unit] ?? denial.estimate.unit;
  const where = denial.scope ? ` for ${denial.scope}` : '';
  const why =
    denial.reasonCode === 'BUDGET_EXCEEDED'
      ? `the ${budget} budget${where} is spent`
      : `the ${budget} budget${where} refused it (${denial.reasonCode})`;
  const retry =
    denial.retryAfterMs !== undefined
      ? ` Retry after ${denial.retryAfterMs} ms.`
      : ' Do not call it again in this run.';
  return `not executed: ${toolName} was denied — ${why}.${retry}`;
}

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
        estimate: denial.estimate,
      },
    },
  };
}
