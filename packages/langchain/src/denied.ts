import { BudgetDeniedError } from '@governor/core';

// The wording lives in core, shared by every adapter.
export { deniedToolMessage as deniedMessage, stoppedMessage } from '@governor/core';

/** Whether `error` is the denial of this very action (not one from nested work). */
export const isDenialOf = (
  error: unknown,
  action: { kind: string; name: string },
): error is BudgetDeniedError =>
  error instanceof BudgetDeniedError &&
  error.action.kind === action.kind &&
  error.action.name === action.name;
