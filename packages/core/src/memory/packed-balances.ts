/**
 * Balances in a kept answer, packed: the replay records of MemoryAuthority
 * hold up to 200,000 answers, each with a balance per affected scope (eight
 * objects apiece). Packed, a record's balances are one array of numbers and
 * the scope strings (shared with the budgets); a replay unpacks them into the
 * same answer. (A plain array of doubles, not a typed array: its backing store
 * would sit outside the heap, uncounted.)
 */
import type { Balance, Unit } from '../protocol/types.js';

const FIELDS = ['remaining', 'reserved', 'spent', 'debt', 'allocated', 'overdraftLimit'] as const;
const WIDTH = FIELDS.length + 1;

export interface PackedBalances {
  unit: Unit;
  scopes: string[];
  /** Present only when some scopePath differs from its scope. */
  paths?: string[];
  /** Per balance: the six figures (NaN when absent), then isOverLimit (1, 0, NaN when absent). */
  figures: number[];
}

/** `balances` packed, or undefined when they are not all in one unit (never for a ledger's own answers). */
export function packBalances(balances: readonly Balance[]): PackedBalances | undefined {
  const unit = balances[0]?.remaining.unit;
  if (!unit) return undefined;
  const figures: number[] = new Array(balances.length * WIDTH).fill(0);
  const scopes: string[] = [];
  let paths: string[] | undefined;
  for (const [i, b] of balances.entries()) {
    for (const [j, f] of FIELDS.entries()) {
      const a = b[f];
      if (a !== undefined && a.unit !== unit) return undefined;
      figures[i * WIDTH + j] = a === undefined ? Number.NaN : a.amount;
    }
    figures[i * WIDTH + FIELDS.length] = b.isOverLimit === undefined ? Number.NaN : b.isOverLimit ? 1 : 0;
    scopes.push(b.scope);
    if (b.scopePath !== b.scope && !paths) paths = balances.slice(0, i).map((x) => x.scopePath);
    paths?.push(b.scopePath);
  }
  return paths ? { unit, scopes, paths, figures } : { unit, scopes, figures };
}

export function unpackBalances(p: PackedBalances): Balance[] {
  return p.scopes.map((scope, i) => {
    const b: Balance = { scope, scopePath: p.paths?.[i] ?? scope, remaining: { unit: p.unit, amount: 0 } };
    for (const [j, f] of FIELDS.entries()) {
      const amount = p.figures[i * WIDTH + j] as number;
      if (!Number.isNaN(amount)) b[f] = { unit: p.unit, amount };
    }
    const over = p.figures[i * WIDTH + FIELDS.length] as number;
    if (!Number.isNaN(over)) b.isOverLimit = over === 1;
    return b;
  });
}
