/**
 * The HTTP edge of the protocol model: request bodies from snake_case JSON to
 * core's camelCase messages (strictly: a camelCase key on the wire is an
 * unknown field, as the schemas' `additionalProperties: false` say), query
 * strings to queries, GovernorErrors to the ErrorResponse envelope.
 */
import {
  ERROR_CODES,
  type ErrorCode,
  fromWire,
  GovernorError,
  InvalidRequestError,
  type ValidationIssue,
} from '@governor/core';

type Json = Record<string, unknown>;

/** Maps whose keys are the user's, carried verbatim (see core's wire.ts). */
const OPAQUE = new Set(['metadata', 'committed_metadata', 'dimensions', 'custom', 'details']);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const toSnake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Dotted camelCase issue paths as the wire spells them: `estimate.amount`, `ttl_ms`. */
export const wirePath = (path: string) =>
  path
    .split('.')
    .map((p) => toSnake(p))
    .join('.');

function collectCamelKeys(value: unknown, path: string, out: ValidationIssue[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => collectCamelKeys(v, `${path}[${i}]`, out));
    return;
  }
  if (!isObject(value)) return;
  for (const [key, v] of Object.entries(value)) {
    const here = path ? `${path}.${key}` : key;
    if (/[A-Z]/.test(key)) out.push({ path: here, message: 'is not a known field' });
    else if (!OPAQUE.has(key)) collectCamelKeys(v, here, out);
  }
}

/** A JSON request body as a camelCase message, or INVALID_REQUEST. */
export function bodyFromWire<T>(body: unknown): T {
  if (!isObject(body)) throw new InvalidRequestError('the request body must be a JSON object');
  const issues: ValidationIssue[] = [];
  collectCamelKeys(body, '', issues);
  if (issues.length) throw new InvalidRequestError(issues, { [WIRE_PATHS]: true });
  return fromWire<T>(body);
}

export type Query = Record<string, string | string[] | undefined>;

/** One value of a query parameter (the last, when repeated). */
export function one(query: Query, name: string): string | undefined {
  const v = query[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** An integer parameter: a number when it spells one, else the text (validation names the rule). */
export function intParam(query: Query, name: string): number | string | undefined {
  const v = one(query, name);
  if (v === undefined) return undefined;
  return /^-?\d{1,16}$/.test(v) ? Number(v) : v;
}

export function boolParam(query: Query, name: string): boolean | string | undefined {
  const v = one(query, name);
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return v;
}

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  request_id: string;
  trace_id?: string;
  details?: Json;
}

const KNOWN = new Set<string>(ERROR_CODES);
/** Marks issues whose paths are already the wire's (not to be converted). */
const WIRE_PATHS = 'wirePaths';

/** The envelope for a GovernorError: issue paths and the message spelled as on the wire. */
export function errorBody(error: GovernorError, requestId: string, traceId: string): ErrorBody {
  let message = error.message;
  let details = error.details ? { ...error.details } : undefined;
  if (InvalidRequestError.isInstance(error)) {
    const asIs = error.details?.[WIRE_PATHS] === true;
    const issues = (error as InvalidRequestError).issues.map((i) => ({
      path: asIs ? i.path : wirePath(i.path),
      message: i.message,
    }));
    message = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    details = { ...details, issues };
  }
  if (details) {
    delete details.retryable;
    delete details[WIRE_PATHS];
  }
  const code = KNOWN.has(error.code) ? error.code : 'INTERNAL_ERROR';
  return {
    error: code,
    message,
    request_id: requestId,
    trace_id: traceId,
    ...(details && Object.keys(details).length ? { details: snakeKeys(details) as Json } : {}),
  };
}

/** Keys of a details map in snake_case (its values are data). */
function snakeKeys(details: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(details)) out[toSnake(k)] = v;
  return out;
}

export { GovernorError };
