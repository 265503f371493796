import { BudgetDeniedError } from '../governor/errors.js';
import type { Action } from '../protocol/types.js';

/**
 * The BudgetDeniedError in `error` or along its `cause` chain (frameworks
 * wrap errors: LangChain's MiddlewareError, the AI SDK's retry errors), from
 * any copy of `@governor/core`; with `action`, only that action's own denial
 * (not one from nested work).
 */
export function budgetDenialOf(
  error: unknown,
  action?: Pick<Action, 'kind' | 'name'>,
): BudgetDeniedError | undefined {
  const seen = new Set<unknown>();
  for (let e = error; e && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    if (
      BudgetDeniedError.isInstance(e) &&
      (!action || (e.action.kind === action.kind && e.action.name === action.name))
    )
      return e;
  }
  return undefined;
}

/** Whether `error` is (or wraps) a budget denial — of `action`, when given. */
export const isBudgetDenied = (error: unknown, action?: Pick<Action, 'kind' | 'name'>): boolean =>
  budgetDenialOf(error, action) !== undefined;
