/**
 * The hand-written checks that let the usual call skip zod: whatever they
 * vouch for, the zod schema accepts too (so skipping zod never lets through
 * what it would refuse), and the usual specs are vouched for.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commitShape } from '../src/governor/answer-shape.js';
import { isPlainAmount, isPlainSpec } from '../src/governor/plain-shapes.js';
import { callSpec } from '../src/governor/spec.js';
import { amount } from '../src/protocol/schemas.js';

const sym = Symbol('extra');
/** Values near the edges of each rule, and anything at all. */
const edgy = fc.oneof(
  fc.constantFrom('', 'a', 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(256), 'x'.repeat(257), '😀'),
  fc.constantFrom(0, -0, 1, -1, 0.5, 2 ** 53 - 1, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY),
  fc.constantFrom('USD_MICROCENTS', 'TOKENS', 'RISK_POINTS', 'usd', 'REJECT', 'ALLOW_IF_AVAILABLE'),
  fc.constantFrom(
    null,
    undefined,
    [],
    {},
    Object.create(null),
    { [sym]: 1 },
    () => 1,
    new AbortController().signal,
  ),
  fc.anything(),
);

/** fast-check makes some objects without a prototype; `edgy` has those. */
const plain = { noNullPrototype: true };
/** Mostly valid, sometimes anything. */
const mostly = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: arb, weight: 9 }, { arbitrary: edgy, weight: 1 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(mostly(arb), { nil: undefined });
const unitLike = mostly(fc.constantFrom('USD_MICROCENTS', 'TOKENS', 'CREDITS', 'RISK_POINTS'));
const amountLike = fc.oneof(
  fc.record({ unit: unitLike, amount: mostly(fc.maxSafeNat()) }, plain),
  fc.record({ unit: unitLike, amount: mostly(fc.maxSafeNat()), extra: edgy }, plain),
  edgy,
);
/** A string for a rule of 1 to `max` characters: often one at or just past an end. */
const text = (max: number) =>
  mostly(
    fc.oneof(
      fc.string({ minLength: 1, maxLength: max }),
      fc.constantFrom('', 'x'.repeat(max), 'x'.repeat(max + 1)),
    ),
  );
const actionLike = fc.oneof(
  fc.record({ kind: text(64), name: text(256) }, plain),
  fc.record(
    {
      kind: text(64),
      name: text(256),
      tags: mostly(
        fc.oneof(
          fc.array(mostly(fc.string({ maxLength: 64 })), { maxLength: 12 }),
          fc.constantFrom(Array(10).fill('t'), Array(11).fill('t')),
        ),
      ),
    },
    plain,
  ),
  fc.record({ kind: text(64), name: text(256), other: edgy }, plain),
  edgy,
);
const specLike = fc.record(
  {
    action: actionLike,
    estimate: amountLike,
    subject: maybe(fc.dictionary(fc.string(), edgy, plain)),
    idempotencyKey: maybe(fc.string({ maxLength: 300 })),
    ttlMs: maybe(fc.oneof(fc.constantFrom(-1, 0, 1), fc.integer())),
    overagePolicy: maybe(fc.constantFrom('REJECT', 'ALLOW_WITH_OVERDRAFT')),
    metadata: maybe(fc.dictionary(fc.string(), edgy, plain)),
    signal: maybe(fc.constant(new AbortController().signal)),
    estimateUnderCaps: maybe(fc.constant(() => undefined)),
    other: edgy,
  },
  { requiredKeys: ['action', 'estimate'], ...plain },
);

describe('plain shapes', () => {
  it('vouch only for what zod accepts', () => {
    let vouched = 0;
    fc.assert(
      fc.property(specLike, (spec) => {
        if (!isPlainSpec(spec)) return;
        vouched++;
        expect(callSpec.safeParse(spec).success).toBe(true);
      }),
      { numRuns: 3_000 },
    );
    expect(vouched, 'the property is not vacuous').toBeGreaterThan(30);
    fc.assert(
      fc.property(amountLike, (value) => {
        if (isPlainAmount(value)) expect(amount.safeParse(value).success).toBe(true);
        const body = { status: 'COMMITTED', charged: value };
        if (isPlainAmount(value)) expect(commitShape.safeParse(body).success).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it('vouch for the usual specs', () => {
    const estimate = { unit: 'USD_MICROCENTS', amount: 1_000 };
    expect(isPlainSpec({ action: { kind: 'tool.call', name: 'noop' }, estimate })).toBe(true);
    expect(
      isPlainSpec({
        action: { kind: 'llm.completion', name: 'openai:gpt-4o-mini', tags: ['a'] },
        estimate,
        subject: { run: 'r1' },
        idempotencyKey: 'k',
        ttlMs: 30_000,
        overagePolicy: 'REJECT',
        metadata: { a: 1 },
        signal: new AbortController().signal,
        estimateUnderCaps: () => estimate,
      }),
    ).toBe(true);
    expect(isPlainSpec({ action: { kind: 'x', name: 'y', extra: 1 }, estimate })).toBe(false);
    const symbolKeyed = { action: { kind: 'x', name: 'y' }, estimate, metadata: { [sym]: 1 } };
    expect(isPlainSpec(symbolKeyed)).toBe(false); // zod's record refuses a symbol key
    expect(callSpec.safeParse(symbolKeyed).success).toBe(false);
    expect(isPlainSpec({ action: { kind: 'x', name: 'y' }, estimate: { ...estimate, amount: -1 } })).toBe(
      false,
    );
  });
});
