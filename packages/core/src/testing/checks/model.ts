import fc from 'fast-check';
import { expect, it } from 'vitest';
import { GovernorError } from '../../errors.js';
import type { OveragePolicy } from '../../protocol/types.js';
import { OVERAGE_POLICIES } from '../../protocol/types.js';
import { assertAuditReplays } from '../audit-invariant.js';
import { key, SCOPES, SUBJECT, type TestLedger, USD_UNIT } from '../harness.js';

type Op =
  | {
      op: 'reserve';
      depth: number;
      amount: number;
      ttlMs: number;
      graceMs: number;
      policy: OveragePolicy;
      dryRun: boolean;
    }
  | { op: 'commit'; pick: number; actual: number }
  | { op: 'release'; pick: number }
  | { op: 'extend'; pick: number; ms: number }
  | { op: 'event'; depth: number; amount: number; policy: OveragePolicy }
  | { op: 'advance'; ms: number }
  | { op: 'replay' };

const policy = fc.constantFrom(...OVERAGE_POLICIES);
const depth = fc.integer({ min: 1, max: 3 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('reserve' as const),
      depth,
      amount: fc.integer({ min: 0, max: 80 }),
      ttlMs: fc.integer({ min: 1_000, max: 6_000 }),
      graceMs: fc.integer({ min: 0, max: 2_000 }),
      policy,
      dryRun: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('commit' as const),
      pick: fc.nat(),
      actual: fc.integer({ min: 0, max: 120 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('extend' as const),
      pick: fc.nat(),
      ms: fc.integer({ min: 1, max: 5_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('event' as const),
      depth,
      amount: fc.integer({ min: 0, max: 60 }),
      policy,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 4_000 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('replay' as const) }) },
);

const ALLOWED = new Set([
  'BUDGET_EXCEEDED',
  'OVERDRAFT_LIMIT_EXCEEDED',
  'RESERVATION_EXPIRED',
  'RESERVATION_FINALIZED',
]);

const subjectAt = (d: number) =>
  d === 1
    ? { tenant: SUBJECT.tenant }
    : d === 2
      ? { tenant: SUBJECT.tenant, workflow: SUBJECT.workflow }
      : SUBJECT;

/** Random operation sequences; after every step the ledger invariant holds and every charge is accounted. */
export function modelChecks(
  fresh: () => Promise<TestLedger>,
  options: { runs?: number; steps?: number } = {},
) {
  it('keeps the invariant over random reserve/commit/release/extend/event/clock sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: options.steps ?? 40 }), async (ops) => {
        const t = await fresh();
        await t.budget(SCOPES[0], 600);
        await t.budget(SCOPES[1], 300, { overdraftLimit: 60 });
        await t.budget(SCOPES[2], 200, { overdraftLimit: 20 });
        const charged = new Map<string, number>(SCOPES.map((s) => [s, 0]));
        const live: { id: string; scopes: string[] }[] = [];
        let lastReserve: Parameters<TestLedger['reserve']> | undefined;
        const charge = (scopes: readonly string[], amount: number) => {
          for (const s of scopes) charged.set(s, (charged.get(s) ?? 0) + amount);
        };
        for (const step of ops) {
          try {
            if (step.op === 'reserve' || (step.op === 'replay' && lastReserve)) {
              const args: Parameters<TestLedger['reserve']> =
                step.op === 'reserve'
                  ? [
                      step.amount,
                      {
                        idempotencyKey: key('m'),
                        subject: subjectAt(step.depth),
                        ttlMs: step.ttlMs,
                        gracePeriodMs: step.graceMs,
                        overagePolicy: step.policy,
                        dryRun: step.dryRun,
                      },
                    ]
                  : (lastReserve as Parameters<TestLedger['reserve']>);
              lastReserve = args;
              const r = await t.reserve(...args);
              if (r.reservationId && !live.some((l) => l.id === r.reservationId))
                live.push({ id: r.reservationId, scopes: r.affectedScopes });
              if (r.decision === 'DENY') expect(r.reservationId).toBeUndefined();
            } else if (
              (step.op === 'commit' || step.op === 'release' || step.op === 'extend') &&
              live.length > 0
            ) {
              const target = live[step.pick % live.length] as { id: string; scopes: string[] };
              if (step.op === 'commit') {
                const c = await t.commit(target.id, step.actual);
                expect(c.charged.amount).toBeLessThanOrEqual(step.actual);
                charge(target.scopes, c.charged.amount);
              } else if (step.op === 'release') {
                await t.release(target.id);
              } else {
                await t.ledger.extend(target.id, { idempotencyKey: key('x'), extendByMs: step.ms });
              }
            } else if (step.op === 'event') {
              const e = await t.ledger.event({
                idempotencyKey: key('e'),
                subject: subjectAt(step.depth),
                action: { kind: 'tool.call', name: 'x' },
                actual: { unit: USD_UNIT, amount: step.amount },
                overagePolicy: step.policy,
              });
              charge(SCOPES.slice(0, step.depth), e.charged?.amount ?? step.amount);
            } else if (step.op === 'advance') {
              await t.advance(step.ms);
            }
          } catch (error) {
            if (!(error instanceof GovernorError) || !ALLOWED.has(error.code)) throw error;
          }
          const budgets = await t.check();
          for (const b of budgets)
            expect(b.spent + b.debt, `${b.scope} spent + debt`).toBe(charged.get(b.scope));
        }
        await assertAuditReplays(t.ledger);
      }),
      { numRuns: options.runs ?? 60 },
    );
  });
}
