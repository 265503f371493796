/**
 * Free JSON (metadata, `metrics.custom`) checked before anything else reads
 * it: plain objects, arrays, strings, finite numbers, booleans and null only,
 * nested at most `maxDepth` levels and at most `maxBytes` of JSON, and no key
 * that JavaScript objects treat specially (`__proto__`, `constructor`,
 * `prototype`) — such a key would be silently dropped by a copy, or change
 * the copy's prototype. The walk is iterative, so a value nested 10,000
 * levels deep (or a cycle) is an answer, never a stack overflow.
 */

export interface MetadataLimits {
  /** Deepest nesting of objects and arrays; the metadata object itself is level 1. Default 32. */
  maxDepth: number;
  /** Largest size as JSON, in UTF-8 bytes. Default 65,536 (64 KiB). */
  maxBytes: number;
}

export const DEFAULT_METADATA_LIMITS: Readonly<MetadataLimits> = Object.freeze({
  maxDepth: 32,
  maxBytes: 65_536,
});

/** Bounds a ledger accepts for its `metadataLimits` option. */
const LIMIT_RANGE = { maxDepth: [1, 256], maxBytes: [2, 16 * 1_048_576] } as const;

/** Keys refused in free maps (metadata, dimensions): a plain JS object cannot hold them faithfully. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export const RESERVED_KEY_RULE = 'is a reserved key (__proto__, constructor and prototype are refused)';

export interface JsonIssue {
  path: PropertyKey[];
  message: string;
}

/** The limits of a ledger option, defaults filled in; RangeError for values outside the supported range. */
export function metadataLimits(input: Partial<MetadataLimits> = {}): MetadataLimits {
  const limits = { ...DEFAULT_METADATA_LIMITS, ...input };
  for (const name of ['maxDepth', 'maxBytes'] as const) {
    const [min, max] = LIMIT_RANGE[name];
    const v = limits[name];
    if (!Number.isSafeInteger(v) || v < min || v > max) {
      throw new RangeError(`metadataLimits.${name} must be an integer from ${min} to ${max}, got ${v}`);
    }
  }
  return limits;
}

function kindOf(value: object): string {
  try {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor
      ?.name;
    return typeof name === 'string' && name ? `a ${name}` : 'an exotic object';
  } catch {
    return 'an exotic object';
  }
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return Array.isArray(value) ? proto === Array.prototype : proto === Object.prototype || proto === null;
}

/** Why a leaf value is not JSON, or undefined for a string, finite number, boolean or null. */
function leafIssue(value: unknown, inArray: boolean): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `must be a finite number (${value} is not JSON)`;
    case 'bigint':
      return 'must be a JSON value: a BigInt is not JSON (send it as a string)';
    case 'undefined':
      return inArray ? 'must be a JSON value: undefined is not JSON (use null)' : undefined;
    case 'function':
    case 'symbol':
      return `must be a JSON value: a ${typeof value} is not JSON`;
    default:
      return value === null ? undefined : 'must be a JSON value';
  }
}

type Frame = [value: object, path: PropertyKey[], depth: number];

/**
 * The first problem of `value` as free JSON whose top level is an object, or
 * undefined. Paths are relative to `value`.
 */
export function jsonObjectIssue(value: unknown, limits: MetadataLimits): JsonIssue | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { path: [], message: 'must be an object' };
  }
  try {
    return walk(value, limits);
  } catch {
    // A getter that throws, a revoked proxy: not a JSON value either.
    return { path: [], message: 'must be a JSON value (it could not be read)' };
  }
}

function walk(root: object, limits: MetadataLimits): JsonIssue | undefined {
  const stack: Frame[] = [[root, [], 1]];
  let bytes = 0;
  const tooBig = { path: [], message: `must be at most ${limits.maxBytes} bytes as JSON` };
  while (stack.length > 0) {
    const [node, path, depth] = stack.pop() as Frame;
    if (!isPlain(node)) return { path, message: `must be a plain object or array, not ${kindOf(node)}` };
    if (depth > limits.maxDepth)
      return { path, message: `must be nested at most ${limits.maxDepth} levels deep` };
    if (Object.getOwnPropertySymbols(node).length > 0) return { path, message: 'must not have symbol keys' };
    const array = Array.isArray(node);
    if (array && node.length > limits.maxBytes) return tooBig;
    const keys = array ? Array.from({ length: node.length }, (_, i) => i) : Object.keys(node);
    bytes += 2;
    for (const key of keys) {
      const at = [...path, key];
      if (typeof key === 'string') {
        if (RESERVED_KEYS.has(key)) return { path: at, message: RESERVED_KEY_RULE };
        bytes += key.length + 3;
      }
      const child = (node as Record<PropertyKey, unknown>)[key];
      if (typeof child === 'object' && child !== null) {
        stack.push([child, at, depth + 1]);
      } else {
        const issue = leafIssue(child, array);
        if (issue) return { path: at, message: issue };
        bytes += typeof child === 'string' ? child.length + 2 : 1;
      }
      if (bytes > limits.maxBytes) return tooBig;
    }
  }
  // The walk's count is a lower bound; the exact size is cheap now that it is bounded.
  if (Buffer.byteLength(JSON.stringify(root)) > limits.maxBytes) return tooBig;
  return undefined;
}

/** The first reserved key of a flat map (dimensions), or undefined. */
export function reservedKeyIssue(value: unknown): JsonIssue | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const key of Object.keys(value)) {
    if (RESERVED_KEYS.has(key)) return { path: [key], message: RESERVED_KEY_RULE };
  }
  return undefined;
}

/** Keys whose values are free JSON with their own check (and limits): the request walk skips into them. */
const FREE_JSON_KEYS = new Set(['metadata', 'custom']);
const MAX_REQUEST_DEPTH = 64;
const MAX_REQUEST_NODES = 100_000;

/**
 * The first value of a request (outside its free JSON) that no JSON request
 * could hold: a BigInt, function or symbol, an object that is not a plain
 * object or array (a Date, a Map, a class instance: a schema would read it as
 * `{}`), nesting past 64 levels, or past 100,000 values. Iterative; never throws.
 */
export function requestShapeIssue(input: unknown): JsonIssue | undefined {
  if (typeof input !== 'object' || input === null) return leafShape(input, []);
  return isJsonRequest(input) ? undefined : firstShapeIssue(input);
}

/**
 * requestShapeIssue's walk without the paths: does it find nothing? The same
 * visits in the same order under the same rules, so where it says no, the walk
 * with paths (firstShapeIssue) finds the issue; a valid request allocates
 * almost nothing.
 */
function isJsonRequest(input: object): boolean {
  try {
    const nodes: unknown[] = [input];
    const depths: number[] = [0];
    let count = 0;
    while (nodes.length > 0) {
      const node = nodes.pop();
      const depth = depths.pop() as number;
      if (++count > MAX_REQUEST_NODES) return false;
      if (typeof node !== 'object' || node === null) {
        const t = typeof node;
        if (t === 'bigint' || t === 'function' || t === 'symbol') return false; // as leafShape
        continue;
      }
      if (!isPlain(node) || depth >= MAX_REQUEST_DEPTH) return false;
      if (Array.isArray(node)) {
        if (node.length > MAX_REQUEST_NODES) return false;
        for (let i = 0; i < node.length; i++) {
          nodes.push(node[i]);
          depths.push(depth + 1);
        }
      } else {
        for (const key of Object.keys(node)) {
          if (FREE_JSON_KEYS.has(key)) continue;
          nodes.push((node as Record<string, unknown>)[key]);
          depths.push(depth + 1);
        }
      }
    }
    return true;
  } catch {
    return false;
  }
}

function firstShapeIssue(input: object): JsonIssue | undefined {
  try {
    const stack: [unknown, PropertyKey[]][] = [[input, []]];
    let nodes = 0;
    while (stack.length > 0) {
      const [node, path] = stack.pop() as [unknown, PropertyKey[]];
      if (++nodes > MAX_REQUEST_NODES)
        return { path: [], message: `must hold at most ${MAX_REQUEST_NODES} values` };
      if (typeof node !== 'object' || node === null) {
        const issue = leafShape(node, path);
        if (issue) return issue;
        continue;
      }
      if (!isPlain(node)) return { path, message: `must be a plain object or array, not ${kindOf(node)}` };
      if (path.length >= MAX_REQUEST_DEPTH)
        return { path, message: `must be nested at most ${MAX_REQUEST_DEPTH} levels deep` };
      if (Array.isArray(node)) {
        if (node.length > MAX_REQUEST_NODES)
          return { path, message: `must hold at most ${MAX_REQUEST_NODES} values` };
        for (let i = 0; i < node.length; i++) stack.push([node[i], [...path, i]]);
      } else {
        for (const key of Object.keys(node)) {
          if (!FREE_JSON_KEYS.has(key)) stack.push([(node as Record<string, unknown>)[key], [...path, key]]);
        }
      }
    }
    return undefined;
  } catch {
    return { path: [], message: 'must be a JSON value (it could not be read)' };
  }
}

function leafShape(value: unknown, path: PropertyKey[]): JsonIssue | undefined {
  const t = typeof value;
  if (t === 'bigint')
    return { path, message: 'must be a JSON value: a BigInt is not JSON (send it as a string)' };
  if (t === 'function' || t === 'symbol')
    return { path, message: `must be a JSON value: a ${t} is not JSON` };
  return undefined;
}
