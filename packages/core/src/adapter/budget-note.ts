/**
 * "The model sees its budget": a short system note, for each model step, of
 * what the run has left — money, risk points, tokens, per scope — so the
 * model can wrap up before a denial. Off unless an adapter's `budgetNote`
 * option is set; nothing is read when it is off.
 */
import type { Governor } from '../governor/governor.js';
import type { Balance, Subject, Unit } from '../protocol/types.js';

/** `true` for the default text, or a function of the budgets left that returns the note (undefined: none). */
export type BudgetNoteOption = boolean | ((left: Balance[]) => string | undefined);

const count = (n: number) => n.toLocaleString('en-US');
/** "left of allocated", as read: `$0.42 of $1.00`, `7 of 10 risk points`. */
const UNIT_TEXT: Record<Unit, (left: number, of?: number) => string> = {
  USD_MICROCENTS: (left, of) => {
    const usd = (n: number) => `$${(n / 100_000_000).toFixed(n % 1_000_000 === 0 ? 2 : 4)}`;
    return of === undefined ? usd(left) : `${usd(left)} of ${usd(of)}`;
  },
  TOKENS: (left, of) => `${count(left)}${of === undefined ? '' : ` of ${count(of)}`} tokens`,
  CREDITS: (left, of) => `${count(left)}${of === undefined ? '' : ` of ${count(of)}`} credits`,
  RISK_POINTS: (left, of) => `${count(left)}${of === undefined ? '' : ` of ${count(of)}`} risk points`,
};

/** A scope as the model reads it: its deepest level, e.g. `run r1`, `toolset email`. */
function scopeText(scope: string): string {
  const last = scope.split('/').at(-1) ?? scope;
  const [level, value] = last.split(':');
  return `${level} ${value}`;
}

/**
 * The default note: for each unit, the tightest budget (least left of its
 * allocation), plus every budget below the subject's deepest level (its
 * toolsets' risk points, say), in one sentence.
 */
export function defaultBudgetNote(left: Balance[], subject?: Subject): string | undefined {
  if (left.length === 0) return undefined;
  const depth = subject ? Object.keys(subject).length : Number.POSITIVE_INFINITY;
  const own = left.filter((b) => b.scope.split('/').length <= depth);
  const below = left.filter((b) => b.scope.split('/').length > depth);
  const tightest = new Map<Unit, Balance>();
  for (const b of own) {
    const unit = b.remaining.unit;
    const share = (x: Balance) => x.remaining.amount / Math.max(1, x.allocated?.amount ?? x.remaining.amount);
    const known = tightest.get(unit);
    // The least left of its allocation; on a tie, the least left.
    const tighter =
      !known ||
      share(b) < share(known) ||
      (share(b) === share(known) && b.remaining.amount < known.remaining.amount);
    if (tighter) tightest.set(unit, b);
  }
  const parts = [...tightest.values(), ...below].map((b) => {
    const text = UNIT_TEXT[b.remaining.unit](Math.max(0, b.remaining.amount), b.allocated?.amount);
    return `${text} for ${scopeText(b.scope)}`;
  });
  return `Budget left: ${parts.join('; ')}. Calls past it are denied: finish the task within it.`;
}

/** The note for a model step of `subject` (the governor's current one by default), per `option`. */
export async function budgetNote(
  governor: Governor,
  option: BudgetNoteOption | undefined,
  subject?: Subject,
): Promise<string | undefined> {
  if (!option) return undefined;
  const who = subject ?? governor.subject;
  const left = await governor.budgetLeft(who);
  return option === true ? defaultBudgetNote(left, who) : option(left);
}
