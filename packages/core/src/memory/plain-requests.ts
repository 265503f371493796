/**
 * The requests a ledger takes by the hundred thousand, in their plain form —
 * a reserve, commit or release without metadata, metrics, dimensions or tags,
 * no key left undefined, plain objects only — checked by hand and copied in
 * schema order: what the zod schema gives for them (test/plain-requests.test.ts
 * holds the two together), for a fraction of the cost. Anything else gives
 * undefined, and goes through the schema and its error messages.
 */
import type { CommitRequest, ReleaseRequest, ReservationCreateRequest } from '../protocol/messages.js';
import { NAME_PATTERN } from '../protocol/schemas.js';
import {
  type Action,
  type Amount,
  MAX_AMOUNT,
  OVERAGE_POLICIES,
  type OveragePolicy,
  type Subject,
  UNITS,
} from '../protocol/types.js';

type Plain = Record<string, unknown>;

const isPlain = (v: unknown): v is Plain =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/** Are the enumerable keys of `v` all in `keys`? */
function onlyKeys(v: Plain, keys: ReadonlySet<string>): boolean {
  for (const k in v) if (!keys.has(k)) return false;
  return true;
}

const isText = (v: unknown, min: number, max: number): v is string =>
  typeof v === 'string' && v.length >= min && v.length <= max;
const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isName = (v: unknown): v is string => isText(v, 1, 128) && NAME_PATTERN.test(v);

const UNIT_SET: ReadonlySet<unknown> = new Set(UNITS);
const POLICY_SET: ReadonlySet<unknown> = new Set(OVERAGE_POLICIES);
const AMOUNT_KEYS = new Set(['unit', 'amount']);

function plainAmount(v: unknown): Amount | undefined {
  if (!isPlain(v) || !onlyKeys(v, AMOUNT_KEYS)) return undefined;
  const { unit, amount } = v;
  if (!UNIT_SET.has(unit) || !isInt(amount, 0, MAX_AMOUNT)) return undefined;
  return { unit: unit as Amount['unit'], amount };
}

const LEVELS = ['tenant', 'workspace', 'app', 'workflow', 'run', 'agent', 'toolset'] as const;
const LEVEL_SET = new Set<string>(LEVELS);

function plainSubject(v: unknown): Subject | undefined {
  if (!isPlain(v) || !onlyKeys(v, LEVEL_SET)) return undefined;
  const out: Record<string, string> = {};
  for (const level of LEVELS) {
    const value = v[level];
    if (value === undefined && !(level in v) && level !== 'tenant') continue;
    if (!isName(value)) return undefined;
    out[level] = value;
  }
  return out as unknown as Subject;
}

const ACTION_KEYS = new Set(['kind', 'name']);

function plainAction(v: unknown): Action | undefined {
  if (!isPlain(v) || !onlyKeys(v, ACTION_KEYS)) return undefined;
  const { kind, name } = v;
  return isText(kind, 1, 64) && isText(name, 1, 256) ? { kind, name } : undefined;
}

/** `v[key]` when it is absent (undefined) or passes `ok`; false when present and not. */
function optional<T>(v: Plain, key: string, ok: (x: unknown) => x is T): T | undefined | false {
  const value = v[key];
  if (value === undefined) return key in v ? false : undefined;
  return ok(value) ? value : false;
}

const RESERVE_KEYS = new Set([
  'idempotencyKey',
  'subject',
  'action',
  'estimate',
  'ttlMs',
  'gracePeriodMs',
  'overagePolicy',
  'dryRun',
]);
const isTtl = (x: unknown): x is number => isInt(x, 1_000, 86_400_000);
const isGrace = (x: unknown): x is number => isInt(x, 0, 60_000);
const isPolicy = (x: unknown): x is OveragePolicy => POLICY_SET.has(x);
const isBoolean = (x: unknown): x is boolean => typeof x === 'boolean';

export function plainReservation(v: unknown): ReservationCreateRequest | undefined {
  if (!isPlain(v) || !onlyKeys(v, RESERVE_KEYS) || !isText(v.idempotencyKey, 1, 256)) return undefined;
  const subject = plainSubject(v.subject);
  const action = plainAction(v.action);
  const estimate = plainAmount(v.estimate);
  if (!subject || !action || !estimate) return undefined;
  const ttlMs = optional(v, 'ttlMs', isTtl);
  const gracePeriodMs = optional(v, 'gracePeriodMs', isGrace);
  const overagePolicy = optional(v, 'overagePolicy', isPolicy);
  const dryRun = optional(v, 'dryRun', isBoolean);
  if (ttlMs === false || gracePeriodMs === false || overagePolicy === false || dryRun === false)
    return undefined;
  const out: ReservationCreateRequest = { idempotencyKey: v.idempotencyKey, subject, action, estimate };
  if (ttlMs !== undefined) out.ttlMs = ttlMs;
  if (gracePeriodMs !== undefined) out.gracePeriodMs = gracePeriodMs;
  if (overagePolicy !== undefined) out.overagePolicy = overagePolicy;
  if (dryRun !== undefined) out.dryRun = dryRun;
  return out;
}

const COMMIT_KEYS = new Set(['idempotencyKey', 'actual']);

export function plainCommit(v: unknown): CommitRequest | undefined {
  if (!isPlain(v) || !onlyKeys(v, COMMIT_KEYS) || !isText(v.idempotencyKey, 1, 256)) return undefined;
  const actual = plainAmount(v.actual);
  return actual && { idempotencyKey: v.idempotencyKey, actual };
}

const RELEASE_KEYS = new Set(['idempotencyKey', 'reason']);
const isReason = (x: unknown): x is string => isText(x, 0, 256);

export function plainRelease(v: unknown): ReleaseRequest | undefined {
  if (!isPlain(v) || !onlyKeys(v, RELEASE_KEYS) || !isText(v.idempotencyKey, 1, 256)) return undefined;
  const reason = optional(v, 'reason', isReason);
  if (reason === false) return undefined;
  return reason === undefined
    ? { idempotencyKey: v.idempotencyKey }
    : { idempotencyKey: v.idempotencyKey, reason };
}

/** A reservation id as the schema takes it (1 to 128 characters). */
export const isPlainReservationId = (id: unknown): id is string => isText(id, 1, 128);
