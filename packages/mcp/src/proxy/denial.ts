import { GovernorError, type LedgerAdmin } from '@governor/core';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

interface DenialMeta {
  reasonCode: string;
  scope?: string;
  retryAfterMs?: number;
  estimate: { unit: string; amount: number };
}

const next = (denial: DenialMeta) =>
  denial.retryAfterMs !== undefined ? ` Retry after ${denial.retryAfterMs} ms.` : ' Do not call it again.';

/**
 * A budget denial that says the truth: "needs 11 risk points; … has 10 left"
 * when the budget is not spent, or that the rest is reserved by calls still
 * running. The ledger's balance decides; other denials are left as they are.
 */
export async function truthfulDenial(
  result: CallToolResult,
  tool: string,
  ledger: Pick<LedgerAdmin, 'getBudget'> | undefined,
): Promise<CallToolResult> {
  const denial = result._meta?.['governor/denial'] as DenialMeta | undefined;
  if (!ledger || denial?.reasonCode !== 'BUDGET_EXCEEDED' || !denial.scope) return result;
  const budget = await ledger
    .getBudget({ scope: denial.scope, unit: denial.estimate.unit as 'RISK_POINTS' })
    .catch(() => undefined);
  if (!budget || denial.estimate.unit !== 'RISK_POINTS') return result;
  const where = `the risk-point budget for ${denial.scope}`;
  let why: string;
  if (budget.remaining > 0)
    why = `it needs ${denial.estimate.amount} risk points; ${where} has ${budget.remaining} left`;
  else if (budget.reserved > 0)
    why = `${where} has nothing left: ${budget.reserved} are reserved by calls still running`;
  else return result;
  return {
    ...result,
    content: [{ type: 'text', text: `not executed: ${tool} was denied — ${why}.${next(denial)}` }],
    _meta: { ...result._meta, 'governor/denial': { ...denial, remaining: budget.remaining } },
  };
}

/** No budget at all for the call's scope: a result the model can read (fail closed), not a protocol error. */
export function noBudgetResult(error: unknown, tool: string): CallToolResult | undefined {
  if (!(error instanceof GovernorError) || error.code !== 'NOT_FOUND') return undefined;
  const scope = (error as { details?: { scope?: string } }).details?.scope;
  const text = `not executed: ${tool} was denied — no risk-point budget applies to ${scope ?? 'this run'} (the proxy needs budgets: --budgets). Do not call it again.`;
  return {
    content: [{ type: 'text', text }],
    isError: true,
    _meta: { 'governor/denial': { reasonCode: 'NOT_FOUND', ...(scope ? { scope } : {}) } },
  };
}
