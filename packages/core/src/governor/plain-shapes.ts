/**
 * Hand-written checks for the shapes the lifecycle sees on every call: true
 * only for input its zod schema certainly accepts (plain objects, known keys,
 * values in range), so the usual call skips zod. False means "ask zod", never
 * "invalid": zod stays the one that accepts, refuses and names the field.
 */
import { OVERAGE_POLICIES, UNITS } from '../protocol/types.js';

// MAX_AMOUNT is Number.MAX_SAFE_INTEGER: a safe integer ≥ 0 is an amount.

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;

const isString = (value: unknown, min: number, max: number): boolean =>
  typeof value === 'string' && value.length >= min && value.length <= max;

const oneOf = (values: readonly string[], value: unknown): boolean =>
  typeof value === 'string' && values.includes(value);

/** Every enumerable key (own or inherited) is one of `keys`: what a strict object allows. */
function onlyKeys(value: object, keys: readonly string[]): boolean {
  for (const key in value) if (!keys.includes(key)) return false;
  return true;
}

const AMOUNT_KEYS = ['unit', 'amount'];

/** `{ unit, amount }` as `amount` in protocol/schemas.ts accepts it. */
export function isPlainAmount(value: unknown): boolean {
  if (!isPlainObject(value) || !onlyKeys(value, AMOUNT_KEYS)) return false;
  const { amount } = value;
  return oneOf(UNITS, value.unit) && Number.isSafeInteger(amount) && (amount as number) >= 0;
}

const ACTION_KEYS = ['kind', 'name', 'tags'];

/** `{ kind, name, tags? }` as `action` in protocol/schemas.ts accepts it. */
function isPlainAction(value: unknown): boolean {
  if (!isPlainObject(value) || !onlyKeys(value, ACTION_KEYS)) return false;
  if (!isString(value.kind, 1, 64) || !isString(value.name, 1, 256)) return false;
  const { tags } = value;
  if (tags === undefined) return true;
  if (!Array.isArray(tags) || tags.length > 10) return false;
  for (let i = 0; i < tags.length; i++) if (!isString(tags[i], 0, 64)) return false;
  return true;
}

/** A string-keyed record of anything (`z.record(z.string(), z.unknown())`). */
const isPlainRecord = (value: unknown): boolean =>
  isPlainObject(value) && Object.getOwnPropertySymbols(value).length === 0;

/** A call spec the `callSpec` schema in spec.ts certainly accepts. */
export function isPlainSpec(spec: unknown): boolean {
  if (!isPlainObject(spec) || !isPlainAction(spec.action) || !isPlainAmount(spec.estimate)) return false;
  const { subject, idempotencyKey, ttlMs, overagePolicy, metadata, signal, estimateUnderCaps } = spec;
  return (
    (subject === undefined || isPlainRecord(subject)) &&
    (idempotencyKey === undefined || isString(idempotencyKey, 1, 256)) &&
    (ttlMs === undefined || (Number.isSafeInteger(ttlMs) && (ttlMs as number) >= 1)) &&
    (overagePolicy === undefined || oneOf(OVERAGE_POLICIES, overagePolicy)) &&
    (metadata === undefined || isPlainRecord(metadata)) &&
    (signal === undefined || signal instanceof AbortSignal) &&
    (estimateUnderCaps === undefined || typeof estimateUnderCaps === 'function')
  );
}
