/**
 * Exact mapping between Governor's camelCase messages and the protocol's
 * snake_case JSON. One mechanism for every message:
 * - keys change case, recursively;
 * - user maps (`metadata`, `committed_metadata`, `dimensions`, `custom`,
 *   `details`) are carried verbatim;
 * - a subject's `run` level travels as `dimensions.run`;
 * - Governor extensions that are not wire fields (`blockedScope`) are dropped.
 */

const OPAQUE = new Set([
  'metadata',
  'committedMetadata',
  'committed_metadata',
  'dimensions',
  'custom',
  'details',
]);
const NOT_ON_WIRE = new Set(['blockedScope']);

const toSnake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toCamel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

type Json = Record<string, unknown>;

const isPlainObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function subjectToWire(subject: Json): Json {
  const { run, dimensions, ...levels } = subject;
  const out: Json = { ...levels };
  if (run !== undefined || dimensions !== undefined) {
    out.dimensions = { ...(dimensions as Json | undefined), ...(run !== undefined ? { run } : {}) };
  }
  return out;
}

function subjectFromWire(subject: Json): Json {
  const { dimensions, ...levels } = subject;
  if (!isPlainObject(dimensions)) return dimensions === undefined ? levels : { ...levels, dimensions };
  const { run, ...rest } = dimensions;
  const out: Json = { ...levels };
  if (run !== undefined) out.run = run;
  if (Object.keys(rest).length > 0 || run === undefined) out.dimensions = rest;
  return out;
}

function convert(value: unknown, rename: (key: string) => string, toWire: boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => convert(v, rename, toWire));
  if (!isPlainObject(value)) return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || (toWire && NOT_ON_WIRE.has(key))) continue;
    if (OPAQUE.has(key)) {
      out[rename(key)] = v;
    } else if (key === 'subject' && isPlainObject(v)) {
      out[key] = convert(toWire ? subjectToWire(v) : subjectFromWire(v), rename, toWire);
    } else {
      out[rename(key)] = convert(v, rename, toWire);
    }
  }
  return out;
}

/** A message as protocol JSON (snake_case, `run` in `dimensions.run`). */
export function toWire(message: unknown): Json {
  return convert(message, toSnake, true) as Json;
}

/** Protocol JSON as a Governor message (camelCase, `dimensions.run` lifted to `run`). */
export function fromWire<T>(json: unknown): T {
  return convert(json, toCamel, false) as T;
}

/** A bare subject as protocol JSON, and back. */
export const subjectToWireJson = (subject: object): Json => toWire({ subject }).subject as Json;
export const subjectFromWireJson = <T>(json: object): T =>
  fromWire<{ subject: T }>({ subject: json }).subject;
