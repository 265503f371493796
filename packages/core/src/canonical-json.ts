/**
 * Stable JSON: object keys sorted, `undefined` members dropped. Two requests
 * with the same content give the same string, whatever their key order; used
 * to compare idempotent replays.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const keys = Object.keys(value as Record<string, unknown>).sort();
  let out = '';
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    out += `${out ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(v)}`;
  }
  return `{${out}}`;
}

/** Deep copy of a JSON-like value with every object's keys sorted. */
export function sortKeysDeep<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sortKeysDeep) as T;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value as Record<string, unknown>).sort()) {
    out[key] = sortKeysDeep((value as Record<string, unknown>)[key]);
  }
  return out as T;
}

/**
 * Fingerprint of a validated request, compared on idempotent replays.
 * Validated requests are canonical already: zod emits schema fields in schema
 * order and free maps (metadata, dimensions) come out with sorted keys, so
 * plain JSON is stable. (Kept as the string itself: hashing it cost more time
 * than the memory it saves.)
 */
export const fingerprintOf = (request: unknown): string => JSON.stringify(request);
