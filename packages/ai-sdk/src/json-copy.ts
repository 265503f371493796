/**
 * `JSON.parse(JSON.stringify(value))` for the plain data of the Governor's
 * provider metadata, without writing and reading a string: `undefined`,
 * functions and symbols dropped from objects (null in arrays), non-finite
 * numbers as null, -0 as 0. Anything that is not plain data (a `toJSON`, a
 * class instance, a `__proto__` key) goes through JSON itself.
 */
export function jsonCopy(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value + 0 : null;
  if (Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(dropped(value[i]) ? null : jsonCopy(value[i]));
    return out;
  }
  if (
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype &&
    !('toJSON' in value)
  ) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[key];
      if (key === '__proto__') return viaJson(value);
      if (!dropped(v)) out[key] = jsonCopy(v);
    }
    return out;
  }
  return viaJson(value);
}

const dropped = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

const viaJson = (value: unknown): unknown => {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
};
