/** The hand-checked plain requests are what the schemas give, key for key and in order; the rest is left to the schemas. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plainCommit, plainRelease, plainReservation } from '../src/memory/plain-requests.js';
import { requestShapeIssue } from '../src/protocol/json-value.js';
import * as S from '../src/protocol/schemas.js';

const schemas = S.requestSchemas();

/** A value for a field: often a valid one, sometimes anything. */
const text = fc.oneof(
  { weight: 24, arbitrary: fc.constantFrom('a', 'acme', 'run-1', 'x.y_z', 'a'.repeat(64), 'a'.repeat(128)) },
  fc.constantFrom('bad space', '', 'é', 'a'.repeat(65), 'a'.repeat(129), 'a'.repeat(256), 'a'.repeat(257)),
  fc.string({ maxLength: 5 }),
);
/** `arb` one time in `n`, else undefined. */
const rarely = <T>(arb: fc.Arbitrary<T>, n: number) =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const odd = fc.constantFrom(undefined, null, 1, -1, 1.5, Number.NaN, Infinity, true, [], {}, 10n, '1');
const value = (good: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 16, arbitrary: good }, { weight: 1, arbitrary: odd });
const int = fc.oneof(
  fc.integer({ min: -2, max: 100_000_000 }),
  fc.constantFrom(0, -0, 999, 1_000, 60_000, 60_001, 86_400_000, 86_400_001, 2 ** 53 - 1, 2 ** 53),
);
const within = (min: number, max: number) =>
  fc.oneof({ weight: 6, arbitrary: fc.integer({ min, max }) }, { weight: 1, arbitrary: int });
const amount = fc.record(
  {
    unit: value(fc.constantFrom('USD_MICROCENTS', 'TOKENS', 'CREDITS', 'RISK_POINTS', 'usd')),
    amount: value(within(0, 2 ** 53 - 1)),
  },
  { requiredKeys: ['unit', 'amount'] },
);
const subject = fc
  .tuple(
    fc.record(
      {
        tenant: value(text),
        workspace: value(text),
        workflow: value(text),
        run: value(text),
        agent: value(text),
      },
      { requiredKeys: ['tenant'] },
    ),
    rarely(fc.constant({ team: 'x' }), 6),
  )
  .map(([s, dimensions]) => (dimensions ? { ...s, dimensions } : s));
const action = fc
  .tuple(fc.record({ kind: value(text), name: value(text) }), rarely(fc.constant(['t']), 6))
  .map(([a, tags]) => (tags ? { ...a, tags } : a));
const extras = fc.record({ metadata: fc.constant({ a: 1 }), other: fc.constant(1) }, { requiredKeys: [] });

/** Keys in a shuffled order, so order never decides. */
const shuffled = <T extends object>(arb: fc.Arbitrary<T>) =>
  fc.tuple(arb, fc.integer()).map(([o, seed]) => {
    const entries = Object.entries(o).sort((a, b) => ((a[0].length * seed) % 7) - ((b[0].length * seed) % 7));
    return Object.fromEntries(entries) as T;
  });

const reservation = fc.tuple(
  shuffled(
    fc.record(
      {
        idempotencyKey: value(text),
        subject: value(shuffled(subject)),
        action: value(shuffled(action)),
        estimate: value(shuffled(amount)),
        ttlMs: value(within(1_000, 86_400_000)),
        gracePeriodMs: value(within(0, 60_000)),
        overagePolicy: value(fc.constantFrom('REJECT', 'ALLOW_IF_AVAILABLE', 'ALLOW_WITH_OVERDRAFT', 'NOPE')),
        dryRun: value(fc.boolean()),
      },
      { requiredKeys: ['idempotencyKey', 'subject', 'action', 'estimate'] },
    ),
  ),
  rarely(extras, 4),
);
const commit = fc.record(
  { idempotencyKey: value(text), actual: value(amount), metrics: fc.constant({ tokensInput: 1 }) },
  { requiredKeys: ['idempotencyKey', 'actual'] },
);
const release = fc.record({ idempotencyKey: value(text), reason: value(text) }, { requiredKeys: [] });

function agrees(
  plain: unknown,
  schema: { safeParse(v: unknown): { success: boolean; data?: unknown } },
  input: unknown,
) {
  const parsed = schema.safeParse(input);
  if (plain === undefined) return;
  expect(parsed.success).toBe(true);
  expect(requestShapeIssue(input)).toBeUndefined();
  expect(plain).toStrictEqual(parsed.data);
  expect(JSON.stringify(plain)).toBe(JSON.stringify(parsed.data));
}

describe('plain requests', () => {
  it('a plain reserve is what the schema gives', () => {
    let taken = 0;
    fc.assert(
      fc.property(reservation, ([r, extra]) => {
        const input = extra ? { ...r, ...extra } : r;
        const plain = plainReservation(input);
        if (plain) taken += 1;
        agrees(plain, schemas.reservationCreateRequest, input);
      }),
      { numRuns: 5_000 },
    );
    expect(taken).toBeGreaterThan(50);
  });

  it('a plain commit and release are what the schemas give', () => {
    fc.assert(
      fc.property(commit, (c) => agrees(plainCommit(c), schemas.commitRequest, c)),
      { numRuns: 3_000 },
    );
    fc.assert(
      fc.property(release, (r) => agrees(plainRelease(r), S.releaseRequest, r)),
      { numRuns: 3_000 },
    );
  });

  it('leaves what is not plain to the schemas', () => {
    const base = {
      idempotencyKey: 'k',
      subject: { tenant: 't' },
      action: { kind: 'k', name: 'n' },
      estimate: { unit: 'TOKENS', amount: 1 },
    };
    expect(plainReservation(base)).toStrictEqual(base);
    for (const input of [
      { ...base, ttlMs: undefined },
      { ...base, subject: { tenant: 't', run: undefined } },
      { ...base, metadata: {} },
      Object.assign(Object.create(null), base),
      { ...base, estimate: Object.assign(Object.create(null), base.estimate) },
      JSON.parse('{"__proto__":1,"idempotencyKey":"k"}'),
      [base],
    ])
      expect(plainReservation(input)).toBeUndefined();
  });
});
