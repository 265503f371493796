/**
 * Answers as replay records keep them. The answers a ledger gives by the
 * hundred thousand — a reserve's ALLOW, a commit, a release — keep their
 * figures in one array of numbers next to a frame shared with every answer on
 * the same budgets (see balance-frames.ts): a few objects where the answer
 * takes forty. Any other answer is kept as a copy, its balances packed. Either
 * gives back a fresh answer equal to the original, key for key, in order.
 */
import type { Amount, Balance } from '../protocol/types.js';
import {
  type BalanceFrame,
  type BalanceFrames,
  framedBalances,
  MOVING_FIGURES,
  putMovingFigures,
} from './balance-frames.js';
import { type PackedBalances, packBalances, unpackBalances } from './packed-balances.js';

export interface KeptAnswer {
  /** The request's fingerprint, digested (see idempotency-store.ts). */
  readonly digest: string;
  /** A fresh copy of the answer. */
  answer(): unknown;
}

type Answer = Record<string, unknown>;

/** Does `o` have exactly `keys`, in that order? */
function keysAre(o: object, keys: readonly string[]): boolean {
  let i = 0;
  for (const k in o) if (k !== keys[i++]) return false;
  return i === keys.length;
}

const AMOUNT_KEYS = ['unit', 'amount'];
const isAmount = (a: unknown): a is Amount =>
  typeof a === 'object' &&
  a !== null &&
  keysAre(a, AMOUNT_KEYS) &&
  typeof (a as Amount).unit === 'string' &&
  typeof (a as Amount).amount === 'number';

/** The frame of an answer's balances (or of `scopes` when it has none), all in `unit`. */
function frameFor(
  frames: BalanceFrames,
  balances: unknown,
  scopes: readonly string[],
  unit: Amount['unit'],
): BalanceFrame | undefined {
  if (balances === undefined) return frames.bareFrame(scopes, unit);
  return Array.isArray(balances) ? frames.frameOf(balances as Balance[], unit) : undefined;
}

/** Figures: `head`, then the moving figures of `balances`. */
function figuresOf(head: number[], balances: unknown): number[] {
  const list = (balances ?? []) as Balance[];
  const figures: number[] = new Array(head.length + list.length * MOVING_FIGURES);
  for (let i = 0; i < head.length; i++) figures[i] = head[i] as number;
  putMovingFigures(list, figures, head.length);
  return figures;
}

const RESERVE_KEYS = ['decision', 'affectedScopes', 'scopePath', 'reservationId', 'reserved', 'expiresAtMs'];
const RESERVE_KEYS_BALANCES = [...RESERVE_KEYS, 'balances'];

/** A reserve's ALLOW: figures [reserved, expiresAtMs, moving figures…]. */
class KeptReservation implements KeptAnswer {
  constructor(
    readonly digest: string,
    readonly frame: BalanceFrame,
    /** Undefined when it is the deepest affected scope. */
    readonly scopePath: string | undefined,
    readonly reservationId: string,
    readonly figures: number[],
  ) {}

  answer(): Answer {
    const { frame, figures } = this;
    const { unit, scopes } = frame;
    const out: Answer = {
      decision: 'ALLOW',
      affectedScopes: [...scopes],
      scopePath: this.scopePath ?? scopes[scopes.length - 1],
      reservationId: this.reservationId,
      reserved: { unit, amount: figures[0] },
      expiresAtMs: figures[1],
    };
    if (frame.statics.length > 0) out.balances = framedBalances(frame, figures, 2);
    return out;
  }
}

function keepReservation(digest: string, r: Answer, frames: BalanceFrames): KeptAnswer | undefined {
  const { affectedScopes: scopes, scopePath, reservationId, reserved, expiresAtMs, balances } = r;
  if (r.decision !== 'ALLOW' || !keysAre(r, balances === undefined ? RESERVE_KEYS : RESERVE_KEYS_BALANCES))
    return undefined;
  if (typeof scopePath !== 'string' || typeof reservationId !== 'string') return undefined;
  if (typeof expiresAtMs !== 'number' || !isAmount(reserved) || !Array.isArray(scopes)) return undefined;
  const frame = frameFor(frames, balances, scopes, reserved.unit);
  if (!frame || frame.scopes.length !== scopes.length) return undefined;
  for (let i = 0; i < scopes.length; i++) if (scopes[i] !== frame.scopes[i]) return undefined;
  const path = scopePath === scopes[scopes.length - 1] ? undefined : scopePath;
  const figures = figuresOf([reserved.amount, expiresAtMs], balances);
  return new KeptReservation(digest, frame, path, reservationId, figures);
}

const COMMIT_KEYS = [
  ['status', 'charged'],
  ['status', 'charged', 'released'],
];
const RELEASE_KEYS = [['status', 'released']];
const withBalances = (keys: string[][]) => keys.map((k) => [...k, 'balances']);
const SETTLE_KEYS = {
  COMMITTED: [...COMMIT_KEYS, ...withBalances(COMMIT_KEYS)],
  RELEASED: [...RELEASE_KEYS, ...withBalances(RELEASE_KEYS)],
};

/** A commit (figures [charged, released or NaN, …]) or a release ([released, …]), then moving figures. */
class KeptSettlement implements KeptAnswer {
  constructor(
    readonly digest: string,
    readonly status: 'COMMITTED' | 'RELEASED',
    readonly frame: BalanceFrame,
    readonly figures: number[],
  ) {}

  answer(): Answer {
    const { frame, figures } = this;
    const { unit } = frame;
    const out: Answer = { status: this.status };
    let at = 1;
    if (this.status === 'COMMITTED') {
      out.charged = { unit, amount: figures[0] };
      if (!Number.isNaN(figures[1])) out.released = { unit, amount: figures[1] };
      at = 2;
    } else out.released = { unit, amount: figures[0] };
    if (frame.statics.length > 0) out.balances = framedBalances(frame, figures, at);
    return out;
  }
}

function keepSettlement(digest: string, r: Answer, frames: BalanceFrames): KeptAnswer | undefined {
  const status = r.status;
  if (status !== 'COMMITTED' && status !== 'RELEASED') return undefined;
  if (!SETTLE_KEYS[status].some((keys) => keysAre(r, keys))) return undefined;
  const first = (status === 'COMMITTED' ? r.charged : r.released) as Amount;
  const released = status === 'COMMITTED' ? r.released : undefined;
  if (!isAmount(first) || (released !== undefined && !(isAmount(released) && released.unit === first.unit)))
    return undefined;
  const frame = frameFor(frames, r.balances, [], first.unit);
  if (!frame) return undefined;
  const head = status === 'COMMITTED' ? [first.amount, released?.amount ?? Number.NaN] : [first.amount];
  return new KeptSettlement(digest, status, frame, figuresOf(head, r.balances));
}

/** Any other answer: a shallow copy, its balances packed. */
class KeptCopy implements KeptAnswer {
  constructor(
    readonly digest: string,
    readonly response: unknown,
    readonly packed: PackedBalances | undefined,
  ) {}

  answer(): unknown {
    const copy = structuredClone(this.response);
    if (this.packed) (copy as Answer).balances = unpackBalances(this.packed);
    return copy;
  }
}

/** Is `key` the last key of `o` (so it can be put back at the end)? */
function isLastKey(o: object, key: string): boolean {
  let last: string | undefined;
  for (const k in o) last = k;
  return last === key;
}

function keepCopy(digest: string, response: unknown): KeptAnswer {
  const balances = (response as { balances?: Balance[] } | null)?.balances;
  const packable = Array.isArray(balances) && isLastKey(response as object, 'balances');
  const packed = packable ? packBalances(balances) : undefined;
  if (!packed) return new KeptCopy(digest, response, undefined);
  const { balances: _balances, ...rest } = response as Answer;
  return new KeptCopy(digest, rest, packed);
}

/** `response` as kept, under `digest`. */
export function keepAnswer(digest: string, response: unknown, frames: BalanceFrames): KeptAnswer {
  if (typeof response === 'object' && response !== null) {
    const r = response as Answer;
    const kept = 'decision' in r ? keepReservation(digest, r, frames) : keepSettlement(digest, r, frames);
    if (kept) return kept;
  }
  return keepCopy(digest, response);
}
