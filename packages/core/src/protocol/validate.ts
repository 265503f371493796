import type { z } from 'zod';
import { InvalidRequestError, type ValidationIssue } from '../errors.js';
import { requestShapeIssue } from './json-value.js';

type RawIssue = z.core.$ZodRawIssue;

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  record: 'an object',
};

function sizeRule(iss: RawIssue & { origin?: string }, bound: number, word: 'most' | 'least'): string {
  if (iss.origin === 'string') {
    return bound === 1 && word === 'least' ? 'must not be empty' : `must be at ${word} ${bound} characters`;
  }
  if (iss.origin === 'array' || iss.origin === 'set') return `must have at ${word} ${bound} items`;
  return `must be at ${word} ${bound}`;
}

/** One readable rule per zod issue code; schema-level messages take precedence over this. */
function describe(iss: RawIssue): string {
  switch (iss.code) {
    case 'invalid_type':
      return iss.input === undefined ? 'is required' : `must be ${TYPE_NAMES[iss.expected] ?? iss.expected}`;
    case 'too_big':
      return sizeRule(iss, Number(iss.maximum), 'most');
    case 'too_small':
      return sizeRule(iss, Number(iss.minimum), 'least');
    case 'invalid_format':
      return iss.format === 'regex' && 'pattern' in iss
        ? `must match ${String(iss.pattern).replace(/^\/|\/[a-z]*$/g, '')}`
        : `must be a valid ${iss.format}`;
    case 'invalid_value':
      return `must be one of ${iss.values.map(String).join(', ')}`;
    case 'unrecognized_keys':
      return 'is not a known field';
    default:
      return iss.message ?? 'is invalid';
  }
}

function pathString(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

function toIssues(error: z.ZodError, prefix: readonly PropertyKey[]): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const iss of error.issues) {
    const base = [...prefix, ...iss.path];
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) out.push({ path: pathString([...base, key]), message: iss.message });
    } else {
      out.push({ path: pathString(base), message: iss.message });
    }
  }
  return out;
}

/**
 * Parse `input` with `schema`, or throw InvalidRequestError naming every
 * offending field and its rule, e.g. `subject.tenant: must match ^[a-zA-Z0-9_.-]+$`.
 * Returns a fresh copy: later changes to `input` never reach the ledger.
 */
export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): z.output<S> {
  // Parse without an error map first: zod's compiled fast path only runs without one.
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const described = schema.safeParse(input, { error: describe });
  throw new InvalidRequestError(toIssues(described.success ? result.error : described.error, prefix));
}

/**
 * `validate` for a request to a ledger (the runtime API and the provisioning
 * plane): first, what no JSON request could hold is refused — a BigInt, a
 * function, a Date or a Map (which a schema would read as `{}`), nesting past
 * 64 levels — so malformed input is an InvalidRequestError naming its path,
 * never a TypeError or RangeError from deep inside, and never a change.
 */
export function validateRequest<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): z.output<S> {
  const shape = requestShapeIssue(input);
  if (shape) {
    throw new InvalidRequestError([{ path: pathString([...prefix, ...shape.path]), message: shape.message }]);
  }
  return validate(schema, input, prefix);
}
