/** A record's text with its budgets as rows reads back as the entry its plain JSON reads back as. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditBody, entryOfBody } from '../src/audit/body.js';
import type { AuditEntry } from '../src/audit/types.js';

/** Read back as a reader of the plain JSON text would. */
const plainly = (entry: unknown) => JSON.parse(JSON.stringify(entry)) as AuditEntry;

const figure = fc.oneof(
  { weight: 40, arbitrary: fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1e15, 0.5, Number.NaN, Number.POSITIVE_INFINITY) },
);
const odd = fc.constantFrom(undefined, null, 1, 'x', [], [1], {}, { a: undefined }, true);
/** `good` mostly, sometimes anything. */
const mostly = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 40, arbitrary: good }, { weight: 1, arbitrary: odd });
const rarely = fc.oneof(
  { weight: 20, arbitrary: fc.constant(false) },
  { weight: 1, arbitrary: fc.constant(true) },
);
const delta = fc.record(
  { allocated: figure, spent: figure, reserved: figure, debt: figure },
  { requiredKeys: [], noNullPrototype: true },
);
const caps = fc.record(
  { max_tokens: fc.nat(), tool_denylist: fc.array(fc.constantFrom('send_email', 'a"b')) },
  { requiredKeys: [], noNullPrototype: true },
);

/** A touched budget: usually of the ledger's shape (its remaining what the rest says), sometimes not. */
const scope = fc
  .record({
    scope: mostly(fc.constantFrom('tenant:acme', 'tenant:acme/run:r1', 'tenant:"q"\n/é')),
    unit: mostly(fc.constantFrom('USD_MICROCENTS', 'TOKENS')),
    status: mostly(fc.constantFrom('ACTIVE', 'FROZEN', 'CLOSED')),
    allocated: figure,
    spent: figure,
    reserved: figure,
    debt: figure,
    off: fc.oneof({ weight: 40, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: figure }),
    delta: fc.option(mostly(delta), { nil: undefined }),
    caps: fc.option(mostly(caps), { nil: undefined }),
    deltaKey: rarely,
    capsKey: rarely,
    extra: fc.oneof(
      { weight: 40, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom('remaining', 'other') },
    ),
    shuffle: fc.nat(20),
  })
  .map((s) => {
    const out: Record<string, unknown> = {
      scope: s.scope,
      unit: s.unit,
      status: s.status,
      allocated: s.allocated,
      spent: s.spent,
      reserved: s.reserved,
      debt: s.debt,
      remaining: s.allocated - s.spent - s.reserved - s.debt + s.off,
    };
    if (s.delta !== undefined || s.deltaKey) out.delta = s.delta;
    if (s.caps !== undefined || s.capsKey) out.caps = s.caps;
    if (s.extra === 'other') out.other = 1;
    if (s.extra === 'remaining') {
      const { remaining, ...rest } = out;
      return s.shuffle % 2 ? { remaining, ...rest } : rest;
    }
    return out;
  });

const entry = fc
  .record({
    operation: fc.constantFrom('reserve', 'commit', 'budget.fund'),
    tenant: fc.constantFrom('acme', '*'),
    estimate: fc.option(fc.record({ unit: fc.constant('TOKENS'), amount: fc.nat() }), { nil: undefined }),
    scopes: fc.oneof(
      { weight: 12, arbitrary: fc.array(scope, { maxLength: 4 }) },
      { weight: 1, arbitrary: odd },
    ),
    atMs: fc.nat(),
    actor: fc.option(fc.constant('process:h:1'), { nil: undefined }),
    detail: fc.option(fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })), {
      nil: undefined,
    }),
  })
  .map((e) => e as unknown as AuditEntry);

describe('audit record text', () => {
  it('reads back as the plain JSON of its entry reads back, and leaves the entry as it was', () => {
    let rows = 0;
    fc.assert(
      fc.property(entry, (e) => {
        const before = JSON.stringify(e);
        const body = auditBody(e);
        expect(JSON.stringify(e)).toBe(before);
        if (body !== before) rows += 1;
        expect(entryOfBody(body)).toStrictEqual(plainly(e));
      }),
      { numRuns: 5_000 },
    );
    expect(rows).toBeGreaterThan(500);
  });

  it('reads a record written before rows (budgets as objects) as it was', () => {
    const e = {
      operation: 'reserve',
      tenant: 'acme',
      atMs: 1,
      scopes: [
        {
          scope: 'tenant:acme',
          unit: 'TOKENS',
          status: 'ACTIVE',
          allocated: 10,
          spent: 0,
          reserved: 4,
          debt: 0,
          remaining: 6,
          delta: { reserved: 4 },
        },
      ],
    } as AuditEntry;
    expect(entryOfBody(JSON.stringify(e))).toStrictEqual(e);
    expect(auditBody(e)).toBe(
      '{"operation":"reserve","tenant":"acme","atMs":1,"scopes":[["tenant:acme","TOKENS","ACTIVE",10,0,4,0,0,0,4,0]]}',
    );
  });
});
