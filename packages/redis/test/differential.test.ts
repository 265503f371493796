/**
 * Model-based differential test: the same random operation sequences against
 * MemoryAuthority (the oracle) and RedisAuthority; every reply (or error code)
 * and every budget must agree after every step.
 */
import {
  GovernorError,
  type Ledger,
  ManualClock,
  MemoryAuthority,
  OVERAGE_POLICIES,
  type Unit,
} from '@governor/core';
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { dropPrefix, testLedger, uniquePrefix } from './support.js';

const USD: Unit = 'USD_MICROCENTS';
const policy = fc.constantFrom(...OVERAGE_POLICIES);
const depth = fc.integer({ min: 1, max: 4 });
const pick = fc.nat();

type Op =
  | {
      op: 'reserve';
      depth: number;
      amount: number;
      ttlMs: number;
      graceMs: number;
      policy: string;
      dryRun: boolean;
      unit: Unit;
    }
  | { op: 'decide'; depth: number; amount: number }
  | { op: 'commit'; pick: number; actual: number; wrongUnit: boolean }
  | { op: 'release'; pick: number }
  | { op: 'extend'; pick: number; ms: number }
  | { op: 'event'; depth: number; amount: number; policy: string }
  | { op: 'advance'; ms: number }
  | { op: 'replayReserve' }
  | { op: 'replayCommit' }
  | { op: 'fund'; depth: number; amount: number }
  | { op: 'setOverdraft'; depth: number; amount: number }
  | { op: 'freeze'; depth: number; frozen: boolean }
  | { op: 'degrade'; on: boolean }
  | { op: 'sweep' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('reserve' as const),
      depth,
      amount: fc.integer({ min: 0, max: 90 }),
      ttlMs: fc.integer({ min: 1_000, max: 6_000 }),
      graceMs: fc.integer({ min: 0, max: 2_000 }),
      policy,
      dryRun: fc.boolean(),
      unit: fc.constantFrom<Unit>(USD, USD, USD, 'TOKENS'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('decide' as const),
      depth,
      amount: fc.integer({ min: 0, max: 120 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('commit' as const),
      pick,
      actual: fc.integer({ min: 0, max: 140 }),
      wrongUnit: fc.integer({ min: 0, max: 9 }).map((i) => i === 0),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('release' as const), pick }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('extend' as const),
      pick,
      ms: fc.integer({ min: 1, max: 5_000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('event' as const),
      depth,
      amount: fc.integer({ min: 0, max: 70 }),
      policy,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 4_000 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('replayReserve' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('replayCommit' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('fund' as const),
      depth,
      amount: fc.integer({ min: 0, max: 100 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('setOverdraft' as const),
      depth,
      amount: fc.integer({ min: 0, max: 80 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('freeze' as const), depth, frozen: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('degrade' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('sweep' as const) }) },
);

const SUBJECTS = [
  { tenant: 'acme' },
  { tenant: 'acme', workflow: 'support' },
  { tenant: 'acme', workflow: 'support', run: 'r1' },
  { tenant: 'acme', workflow: 'support', run: 'r2' },
];
const SCOPE_OF = [
  'tenant:acme',
  'tenant:acme/workflow:support',
  'tenant:acme/workflow:support/run:r1',
  'tenant:acme/workflow:support/run:r2',
];

/** A reply with ledger-minted ids replaced by their creation index, so both ledgers compare. */
function normalize(value: unknown, ids: Map<string, string>): unknown {
  return JSON.parse(
    JSON.stringify(value, (k, v) => {
      if (k === 'eventId') return 'evt';
      if (typeof v === 'string' && ids.has(v)) return ids.get(v);
      return v;
    }),
  );
}

async function attempt(fn: () => Promise<unknown>): Promise<{ ok: unknown } | { error: string }> {
  try {
    return { ok: await fn() };
  } catch (error) {
    if (error instanceof GovernorError) return { error: error.code };
    throw error;
  }
}

async function provision(l: Ledger) {
  await l.createBudget({ scope: SCOPE_OF[0] as string, unit: USD, allocated: 700 });
  await l.createBudget({
    scope: SCOPE_OF[1] as string,
    unit: USD,
    allocated: 300,
    overdraftLimit: 60,
    caps: { maxTokens: 4_000 },
  });
  await l.createBudget({ scope: SCOPE_OF[2] as string, unit: USD, allocated: 200, overdraftLimit: 20 });
  await l.createBudget({ scope: SCOPE_OF[0] as string, unit: 'TOKENS', allocated: 150 });
  await l.addTemplate({
    match: 'tenant:*/workflow:support/run:*',
    unit: USD,
    allocated: 120,
    caps: { toolDenylist: ['x'] },
  });
}

const prefixes: string[] = [];
const cleanup = testLedger(uniquePrefix('cleanup'));
afterAll(async () => {
  for (const p of prefixes) await dropPrefix(cleanup, p);
  await cleanup.quit();
}, 60_000); // ~120 prefixes to scan away; slow on a loaded machine

it.each([true, false])(
  'RedisAuthority answers exactly as MemoryAuthority over random operation sequences (includeBalances %s)',
  async (includeBalances) => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        const clock = new ManualClock();
        const memory = new MemoryAuthority({ clock, includeBalances });
        const prefix = uniquePrefix(`diff${++run}`);
        prefixes.push(prefix);
        const redis = testLedger(prefix, { includeBalances });
        try {
          await provision(memory);
          await provision(redis);
          const memIds = new Map<string, string>();
          const redIds = new Map<string, string>();
          const live: [string, string][] = [];
          let lastReserve: Record<string, unknown> | undefined;
          let lastCommit: [number, Record<string, unknown>] | undefined;
          let n = 0;
          const both = async (label: string, fn: (l: Ledger, side: 0 | 1) => Promise<unknown>) => {
            const a = await attempt(() => fn(memory, 0));
            const b = await attempt(() => fn(redis, 1));
            const ra = 'ok' in a ? a.ok : undefined;
            const rb = 'ok' in b ? b.ok : undefined;
            const ida = (ra as { reservationId?: string } | undefined)?.reservationId;
            const idb = (rb as { reservationId?: string } | undefined)?.reservationId;
            if (ida && idb && !memIds.has(ida)) {
              const alias = `rsv#${live.length}`;
              memIds.set(ida, alias);
              redIds.set(idb, alias);
              live.push([ida, idb]);
            }
            expect(normalize(b, redIds), label).toEqual(normalize(a, memIds));
          };
          for (const step of ops) {
            const label = `step ${++n}: ${JSON.stringify(step)}`;
            switch (step.op) {
              case 'reserve': {
                const request = {
                  idempotencyKey: `k${n}`,
                  subject: SUBJECTS[step.depth - 1],
                  action: { kind: 'llm.completion', name: 'm' },
                  estimate: { unit: step.unit, amount: step.amount },
                  ttlMs: step.ttlMs,
                  gracePeriodMs: step.graceMs,
                  overagePolicy: step.policy,
                  dryRun: step.dryRun,
                };
                lastReserve = request;
                await both(label, (l) => l.reserve(request as never));
                break;
              }
              case 'replayReserve':
                if (lastReserve) await both(label, (l) => l.reserve(lastReserve as never));
                break;
              case 'decide':
                await both(label, (l) =>
                  l.decide({
                    idempotencyKey: `d${n}`,
                    subject: SUBJECTS[step.depth - 1] as never,
                    action: { kind: 'tool.call', name: 'x' },
                    estimate: { unit: USD, amount: step.amount },
                  }),
                );
                break;
              case 'commit':
              case 'release':
              case 'extend': {
                if (live.length === 0) break;
                const pair = live[step.pick % live.length] as [string, string];
                if (step.op === 'commit') {
                  const request = {
                    idempotencyKey: `c${n}`,
                    actual: { unit: step.wrongUnit ? 'CREDITS' : USD, amount: step.actual },
                  };
                  lastCommit = [step.pick % live.length, request];
                  await both(label, (l, side) => l.commit(pair[side], request as never));
                } else if (step.op === 'release') {
                  await both(label, (l, side) => l.release(pair[side], { idempotencyKey: `r${n}` }));
                } else {
                  await both(label, (l, side) =>
                    l.extend(pair[side], { idempotencyKey: `x${n}`, extendByMs: step.ms }),
                  );
                }
                break;
              }
              case 'replayCommit':
                if (lastCommit) {
                  const [i, request] = lastCommit;
                  const pair = live[i] as [string, string];
                  await both(label, (l, side) => l.commit(pair[side], request as never));
                }
                break;
              case 'event':
                await both(label, (l) =>
                  l.event({
                    idempotencyKey: `e${n}`,
                    subject: SUBJECTS[step.depth - 1] as never,
                    action: { kind: 'tool.call', name: 'x' },
                    actual: { unit: USD, amount: step.amount },
                    overagePolicy: step.policy as never,
                  }),
                );
                break;
              case 'advance':
                clock.advance(step.ms);
                await redis.advanceClock(step.ms);
                break;
              case 'fund':
                await both(label, (l) =>
                  l.fund({ scope: SCOPE_OF[step.depth - 1] as string, unit: USD, amount: step.amount }),
                );
                break;
              case 'setOverdraft':
                await both(label, (l) =>
                  l.setOverdraftLimit({
                    scope: SCOPE_OF[step.depth - 1] as string,
                    unit: USD,
                    amount: step.amount,
                  }),
                );
                break;
              case 'freeze': {
                const key = { scope: SCOPE_OF[step.depth - 1] as string, unit: USD };
                await both(label, (l) => (step.frozen ? l.freeze(key) : l.unfreeze(key)));
                break;
              }
              case 'degrade':
                await both(label, (l) =>
                  l.setDegradationPolicy(
                    step.on
                      ? {
                          tiers: [
                            { atPercent: 50, caps: { maxTokens: 256 } },
                            { atPercent: 90, caps: { cooldownMs: 500 } },
                          ],
                        }
                      : undefined,
                  ),
                );
                break;
              case 'sweep':
                await both(label, (l) => l.sweepExpired());
                break;
            }
            const sort = (xs: { scope: string; unit: string }[]) =>
              [...xs].sort((a, b) => `${a.scope}|${a.unit}`.localeCompare(`${b.scope}|${b.unit}`));
            expect(sort(await redis.listBudgets()), `${label}: budgets`).toEqual(
              sort(await memory.listBudgets()),
            );
            const q = { tenant: 'acme', includeChildren: true } as const;
            expect(normalize(await redis.balances(q), redIds), `${label}: balances`).toEqual(
              normalize(await memory.balances(q), memIds),
            );
            const list = async (l: Ledger, ids: Map<string, string>) =>
              normalize(
                (await l.listReservations({ sortBy: 'created_at_ms', sortDir: 'asc', limit: 200 }))
                  .reservations,
                ids,
              );
            const [lm, lr] = [await list(memory, memIds), await list(redis, redIds)];
            const byId = (xs: unknown) =>
              [...(xs as { reservationId: string }[])].sort((a, b) =>
                a.reservationId.localeCompare(b.reservationId),
              );
            expect(byId(lr), `${label}: reservations`).toEqual(byId(lm));
          }
        } finally {
          await redis.quit();
        }
      }),
      { numRuns: Number(process.env.DIFF_RUNS ?? 60) },
    );
  },
  120_000,
);
