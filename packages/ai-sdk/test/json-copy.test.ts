/** The metadata copy is JSON's round trip, value for value and key for key. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonCopy } from '../src/json-copy.js';

const roundTrip = (value: unknown) => {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
};

const odd = fc.constantFrom(
  undefined,
  -0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  () => 1,
  Symbol('s'),
  new Date(0),
  { toJSON: () => 'x' },
  JSON.parse('{"__proto__": {"a": 1}}'),
  Object.create(null),
);
const data = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue(),
    odd,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('jsonCopy', () => {
  it('is JSON.parse(JSON.stringify(value))', () => {
    fc.assert(
      fc.property(data, (value) => {
        const copy = jsonCopy(value);
        expect(copy).toStrictEqual(roundTrip(value));
        expect(JSON.stringify(copy)).toBe(JSON.stringify(roundTrip(value))); // key order too
      }),
      { numRuns: 3_000 },
    );
  });
});
