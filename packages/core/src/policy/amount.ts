/**
 * Amounts as people write them in a policy file or on a command line, read in
 * the budget's unit: whole numbers for every unit, dollars ("$2.50",
 * "2.50 USD") only for USD_MICROCENTS. A mistake is a sentence naming the
 * value and what was expected, never a silent conversion.
 */
import { InvalidRequestError } from '../errors.js';
import { MAX_AMOUNT, type Unit, USD } from '../protocol/types.js';

/** "$2", "2.50 USD", "0.00000001": a dollar amount (`$` or `USD` optional here, at most 8 decimals). */
const USD_TEXT = /^\s*\$?\s*(\d+)(?:\.(\d{1,8}))?\s*(?:USD)?\s*$/i;
/** Text that says it is dollars: a `$` in front or `USD` behind. */
const SAYS_DOLLARS = /^\s*\$|USD\s*$/i;
const WHOLE_TEXT = /^\s*\d[\d_]*\s*$/;

/** "$2", "2.50 USD", "0.00000001" → USD_MICROCENTS, exactly. Throws on anything else. */
export function parseUsd(text: string): number {
  const match = USD_TEXT.exec(text);
  if (!match)
    throw new InvalidRequestError(`"${text}" is not a dollar amount like "$2.50" (at most 8 decimals)`);
  const [, whole = '0', frac = ''] = match;
  return Number(whole) * USD + Number(frac.padEnd(8, '0'));
}

/** What an amount in `unit` may be, for messages. */
export function expectedAmount(unit: Unit): string {
  const whole = `a whole number of ${unit} from 0 to ${MAX_AMOUNT}`;
  return unit === 'USD_MICROCENTS' ? `${whole} (1 USD = ${USD}), or dollars as text like "$2.50"` : whole;
}

const shown = (value: unknown) => (typeof value === 'string' ? `"${value}"` : String(value));

/** The amount `value` stands for in `unit`, or the reason it stands for none. */
export function readAmount(value: unknown, unit: Unit): { amount: number } | { problem: string } {
  const expected = expectedAmount(unit);
  const tooBig = (n: number) => ({
    problem: `must be at most ${MAX_AMOUNT} ${unit}; got ${shown(value)}${typeof value === 'string' ? ` (${n} ${unit})` : ''}`,
  });
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { problem: `${value} is not an amount: expected ${expected}` };
    if (!Number.isInteger(value)) return { problem: `${value} is not a whole number: expected ${expected}` };
    if (value < 0) return { problem: `${value} is negative: expected ${expected}` };
    return value > MAX_AMOUNT ? tooBig(value) : { amount: value };
  }
  if (typeof value !== 'string') return { problem: `${shown(value)} is not an amount: expected ${expected}` };
  if (SAYS_DOLLARS.test(value)) {
    if (unit !== 'USD_MICROCENTS') {
      return {
        problem: `${shown(value)} is a dollar amount, but ${unit} are not dollars (dollars only for USD_MICROCENTS): expected ${expected}`,
      };
    }
    if (!USD_TEXT.test(value)) {
      return { problem: `${shown(value)} is not a dollar amount like "$2.50" (at most 8 decimals)` };
    }
    const amount = parseUsd(value);
    return amount > MAX_AMOUNT ? tooBig(amount) : { amount };
  }
  if (WHOLE_TEXT.test(value)) {
    const amount = Number(value.trim().replaceAll('_', ''));
    return amount > MAX_AMOUNT ? tooBig(amount) : { amount };
  }
  const hint =
    unit === 'USD_MICROCENTS' && USD_TEXT.test(value) ? ` (for dollars write "$${value.trim()}")` : '';
  return { problem: `${shown(value)} is not an amount: expected ${expected}${hint}` };
}

/** The amount `value` stands for in `unit`; InvalidRequestError naming `field`, the value and what is expected. */
export function parseAmount(value: unknown, unit: Unit, field = 'amount'): number {
  const read = readAmount(value, unit);
  if ('problem' in read) throw new InvalidRequestError([{ path: field, message: read.problem }]);
  return read.amount;
}
