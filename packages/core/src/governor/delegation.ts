/**
 * Delegation: a child subject gets a sub-allowance carved out of its parent's
 * budgets, never more. The allowance is reserved on the parent's scopes; the
 * child's scope gets an isolated budget of that size, so the child's calls are
 * charged there alone (never twice to the parent). When the child's work ends,
 * the parent's reservation is committed with what the child used — the rest
 * flows back — and the child budget is left with nothing to spend.
 */
import type { LedgerAdmin } from '../authority.js';
import { InvalidRequestError } from '../errors.js';
import type { Amount, Subject } from '../protocol/types.js';
import { scopePathOf } from '../scopes.js';
import { contextStorage, extendSubject } from './context.js';
import type { Governor } from './governor.js';

const consumed = (b: { spent: number; reserved: number; debt: number }) => b.spent + b.reserved + b.debt;

export async function delegate<T>(
  governor: Governor,
  admin: LedgerAdmin,
  child: Partial<Subject>,
  allowance: Amount,
  fn: () => Promise<T>,
): Promise<T> {
  const parent = governor.subject;
  const childSubject = extendSubject(parent, child);
  const scope = scopePathOf(childSubject);
  if (scope === scopePathOf(parent)) {
    throw new InvalidRequestError([
      { path: 'child', message: 'must add at least one subject level below the parent' },
    ]);
  }
  const { unit } = allowance;
  const handle = await governor.begin({
    action: { kind: 'governor.delegation', name: scope },
    estimate: allowance,
    subject: {},
  });
  let before: number;
  try {
    before = await fundChild(admin, scope, allowance);
  } catch (error) {
    await handle.release('delegation could not be set up');
    throw error;
  }
  try {
    return await contextStorage.run(
      { subject: childSubject, parentReservationId: handle.grant.reservationId },
      fn,
    );
  } finally {
    // What the child still holds in flight counts as used: it can only settle against the child budget.
    const info = await admin.getBudget({ scope, unit });
    const used = info ? consumed(info) - before : allowance.amount;
    if (info) await admin.setAllocation({ scope, unit, amount: consumed(info) });
    await handle.commit({ unit, amount: Math.min(used, allowance.amount) });
  }
}

/** Give the child's isolated budget `allowance` to spend; returns what it had consumed before. */
async function fundChild(admin: LedgerAdmin, scope: string, allowance: Amount): Promise<number> {
  const key = { scope, unit: allowance.unit };
  const existing = await admin.getBudget(key);
  if (!existing) {
    await admin.createBudget({ ...key, allocated: allowance.amount, isolated: true });
    return 0;
  }
  if (!existing.isolated) {
    throw new InvalidRequestError([
      {
        path: 'child',
        message: `${scope} already has a ${allowance.unit} budget of its own; delegate to a new scope`,
      },
    ]);
  }
  await admin.setAllocation({ ...key, amount: consumed(existing) + allowance.amount });
  return consumed(existing);
}
