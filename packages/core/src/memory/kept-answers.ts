/**
 * Answers as replay records keep them. The answers a ledger gives by the
 * hundred thousand — a reserve's ALLOW, a commit, a release — keep their
 * figures as a run of numbers in a shared slab (figure-slabs.ts), beside a
 * frame shared with every answer on the same budgets (balance-frames.ts): one
 * object where the answer takes forty. Any other answer is kept as a copy, its balances packed. Either
 * gives back a fresh answer equal to the original, key for key, in order.
 */
import type { Amount, Balance } from '../protocol/types.js';
import {
  type BalanceFrame,
  BalanceFrames,
  framedBalances,
  MOVING_FIGURES,
  putMovingFigures,
} from './balance-frames.js';
import { FigureSlabs } from './figure-slabs.js';
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

/** Where an answer's figures are: a slab, and the offset of the first. */
interface Run {
  slab: Float64Array;
  at: number;
}

/** Keep `first`, `second` (unless undefined), then the moving figures of `balances`. */
function keepFigures(slabs: FigureSlabs, balances: unknown, first: number, second?: number): Run {
  const list = (balances ?? []) as Balance[];
  const head = second === undefined ? 1 : 2;
  const at = slabs.take(head + list.length * MOVING_FIGURES);
  const slab = slabs.slab;
  slab[at] = first;
  if (second !== undefined) slab[at + 1] = second;
  putMovingFigures(list, slab, at + head);
  return { slab, at };
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
    readonly slab: Float64Array,
    readonly at: number,
  ) {}

  answer(): Answer {
    const { frame, slab, at } = this;
    const { unit, scopes } = frame;
    const out: Answer = {
      decision: 'ALLOW',
      affectedScopes: [...scopes],
      scopePath: this.scopePath ?? scopes[scopes.length - 1],
      reservationId: this.reservationId,
      reserved: { unit, amount: slab[at] },
      expiresAtMs: slab[at + 1],
    };
    if (frame.statics.length > 0) out.balances = framedBalances(frame, slab, at + 2);
    return out;
  }
}

function keepReservation(digest: string, r: Answer, keeper: AnswerKeeper): KeptAnswer | undefined {
  const { affectedScopes: scopes, scopePath, reservationId, reserved, expiresAtMs, balances } = r;
  if (r.decision !== 'ALLOW' || !keysAre(r, balances === undefined ? RESERVE_KEYS : RESERVE_KEYS_BALANCES))
    return undefined;
  if (typeof scopePath !== 'string' || typeof reservationId !== 'string') return undefined;
  if (typeof expiresAtMs !== 'number' || !isAmount(reserved) || !Array.isArray(scopes)) return undefined;
  const frame = frameFor(keeper.frames, balances, scopes, reserved.unit);
  if (!frame || frame.scopes.length !== scopes.length) return undefined;
  for (let i = 0; i < scopes.length; i++) if (scopes[i] !== frame.scopes[i]) return undefined;
  const path = scopePath === scopes[scopes.length - 1] ? undefined : scopePath;
  const { slab, at } = keepFigures(keeper.slabs, balances, reserved.amount, expiresAtMs);
  return new KeptReservation(digest, frame, path, reservationId, slab, at);
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
    readonly slab: Float64Array,
    readonly at: number,
  ) {}

  answer(): Answer {
    const { frame, slab, at } = this;
    const { unit } = frame;
    const out: Answer = { status: this.status };
    let moving = at + 1;
    if (this.status === 'COMMITTED') {
      out.charged = { unit, amount: slab[at] };
      if (!Number.isNaN(slab[at + 1])) out.released = { unit, amount: slab[at + 1] };
      moving = at + 2;
    } else out.released = { unit, amount: slab[at] };
    if (frame.statics.length > 0) out.balances = framedBalances(frame, slab, moving);
    return out;
  }
}

function keepSettlement(digest: string, r: Answer, keeper: AnswerKeeper): KeptAnswer | undefined {
  const status = r.status;
  if (status !== 'COMMITTED' && status !== 'RELEASED') return undefined;
  if (!SETTLE_KEYS[status].some((keys) => keysAre(r, keys))) return undefined;
  const first = (status === 'COMMITTED' ? r.charged : r.released) as Amount;
  const released = status === 'COMMITTED' ? r.released : undefined;
  if (!isAmount(first) || (released !== undefined && !(isAmount(released) && released.unit === first.unit)))
    return undefined;
  const frame = frameFor(keeper.frames, r.balances, [], first.unit);
  if (!frame) return undefined;
  const second = status === 'COMMITTED' ? (released?.amount ?? Number.NaN) : undefined;
  const { slab, at } = keepFigures(keeper.slabs, r.balances, first.amount, second);
  return new KeptSettlement(digest, status, frame, slab, at);
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

/** Keeps answers: the frames they share and the slabs their figures go in. */
export class AnswerKeeper {
  readonly frames = new BalanceFrames();
  readonly slabs = new FigureSlabs();

  /** `response` as kept, under `digest`. */
  keep(digest: string, response: unknown): KeptAnswer {
    if (typeof response === 'object' && response !== null) {
      const r = response as Answer;
      const kept = 'decision' in r ? keepReservation(digest, r, this) : keepSettlement(digest, r, this);
      if (kept) return kept;
    }
    return keepCopy(digest, response);
  }
}
