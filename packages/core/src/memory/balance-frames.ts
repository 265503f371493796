/**
 * The balances of a ledger's own answer, split in two: a frame (unit, scopes,
 * and the figures that rarely move — allocated, overdraft limit, over-limit),
 * shared by every answer on the same budgets while those stay put, and the
 * figures that move with every call (reserved, spent, debt: three numbers a
 * scope). `remaining` is not kept: a ledger's balance has it as allocated −
 * spent − reserved − debt, and balances that do not are not framed.
 */
import type { Amount, Balance, Unit } from '../protocol/types.js';

export interface BalanceFrame {
  unit: Unit;
  scopes: readonly string[];
  /** Per scope: allocated, overdraft limit, isOverLimit (1 or 0). */
  statics: readonly number[];
}

/** Numbers kept per scope in an answer's own figures. */
export const MOVING_FIGURES = 3;

const isAmount = (a: Amount | undefined, unit: Unit): a is Amount =>
  a !== undefined && a.unit === unit && typeof a.amount === 'number';

/** Is `b` a complete balance in `unit`, its scope path its scope, its remaining what the rest says? */
function isFramable(b: Balance, unit: Unit): boolean {
  const { remaining, reserved, spent, debt, allocated, overdraftLimit } = b;
  return (
    b.scopePath === b.scope &&
    typeof b.isOverLimit === 'boolean' &&
    isAmount(reserved, unit) &&
    isAmount(spent, unit) &&
    isAmount(debt, unit) &&
    isAmount(allocated, unit) &&
    isAmount(overdraftLimit, unit) &&
    remaining.unit === unit &&
    Object.is(remaining.amount, allocated.amount - spent.amount - reserved.amount - debt.amount)
  );
}

function sameFrame(f: BalanceFrame, balances: readonly Balance[], unit: Unit): boolean {
  if (f.unit !== unit || f.scopes.length !== balances.length) return false;
  for (let i = 0; i < balances.length; i++) {
    const b = balances[i] as Balance;
    const s = i * 3;
    if (
      b.scope !== f.scopes[i] ||
      !Object.is(b.allocated?.amount, f.statics[s]) ||
      !Object.is(b.overdraftLimit?.amount, f.statics[s + 1]) ||
      (b.isOverLimit ? 1 : 0) !== f.statics[s + 2]
    )
      return false;
  }
  return true;
}

/** Frames by deepest scope (the last one made for it), so answers on the same budgets share one. */
export class BalanceFrames {
  #byScope = new Map<string, BalanceFrame>();
  #bare = new Map<string, BalanceFrame>();

  /** A frame of `scopes` in `unit` for answers without balances (no statics). */
  bareFrame(scopes: readonly string[], unit: Unit): BalanceFrame | undefined {
    const key = `${unit}\u0000${scopes.join('\u0000')}`;
    const known = this.#bare.get(key);
    if (known) return known;
    if (!scopes.every((s) => typeof s === 'string')) return undefined;
    const frame: BalanceFrame = { unit, scopes: [...scopes], statics: [] };
    if (this.#bare.size >= 4096) this.#bare.clear();
    this.#bare.set(key, frame);
    return frame;
  }

  /** The frame of `balances` (all in `unit`), or undefined when they cannot be framed. */
  frameOf(balances: readonly Balance[], unit: Unit): BalanceFrame | undefined {
    if (balances.length === 0) return undefined;
    for (const b of balances) if (!isFramable(b, unit)) return undefined;
    const key = (balances[balances.length - 1] as Balance).scope;
    const known = this.#byScope.get(key);
    if (known && sameFrame(known, balances, unit)) return known;
    const statics: number[] = new Array(balances.length * 3);
    balances.forEach((b, i) => {
      statics[i * 3] = (b.allocated as Amount).amount;
      statics[i * 3 + 1] = (b.overdraftLimit as Amount).amount;
      statics[i * 3 + 2] = b.isOverLimit ? 1 : 0;
    });
    const frame: BalanceFrame = { unit, scopes: balances.map((b) => b.scope), statics };
    if (this.#byScope.size >= 4096) this.#byScope.clear();
    this.#byScope.set(key, frame);
    return frame;
  }
}

/** Write the moving figures of `balances` into `into` from `at`. */
export function putMovingFigures(balances: readonly Balance[], into: Float64Array, at: number): void {
  for (let i = 0; i < balances.length; i++) {
    const b = balances[i] as Balance;
    into[at + i * 3] = (b.reserved as Amount).amount;
    into[at + i * 3 + 1] = (b.spent as Amount).amount;
    into[at + i * 3 + 2] = (b.debt as Amount).amount;
  }
}

/** The balances back, from a frame and the moving figures at `at` of `figures`. */
export function framedBalances(frame: BalanceFrame, figures: Float64Array, at: number): Balance[] {
  const { unit, scopes, statics } = frame;
  const out: Balance[] = new Array(scopes.length);
  for (let i = 0; i < scopes.length; i++) {
    const scope = scopes[i] as string;
    const reserved = figures[at + i * 3] as number;
    const spent = figures[at + i * 3 + 1] as number;
    const debt = figures[at + i * 3 + 2] as number;
    const allocated = statics[i * 3] as number;
    out[i] = {
      scope,
      scopePath: scope,
      remaining: { unit, amount: allocated - spent - reserved - debt },
      reserved: { unit, amount: reserved },
      spent: { unit, amount: spent },
      debt: { unit, amount: debt },
      allocated: { unit, amount: allocated },
      overdraftLimit: { unit, amount: statics[i * 3 + 1] as number },
      isOverLimit: statics[i * 3 + 2] === 1,
    };
  }
  return out;
}
