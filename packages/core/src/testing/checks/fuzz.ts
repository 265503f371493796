import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { Ledger } from '../../authority.js';
import { GovernorError } from '../../errors.js';
import { type FreshLedger, key, SCOPES, SUBJECT, type TestLedger, USD_UNIT } from '../harness.js';
import { NOT_JSON, nested } from './payload.js';

/** Malformed calls per ledger: FUZZ_CALLS, default 10,000 (100,000 for a long run); FUZZ_SEED picks others. */
const CALLS = Number(process.env.FUZZ_CALLS ?? 10_000);

type Args = unknown[];
type Entry = {
  name: string;
  mutates: boolean;
  args: (id: string) => Args;
  call: (l: Ledger, a: Args) => unknown;
};

const action = { kind: 'llm.completion', name: 'gpt-4o-mini', tags: ['a'] };
const usd = { unit: USD_UNIT, amount: 5 };
const subject = { ...SUBJECT, dimensions: { team: 'a' } };
const metadata = { note: 'n', list: [1, { k: true }] };
const caps = { maxTokens: 5, toolAllowlist: ['a'], toolDenylist: ['b'], cooldownMs: 1 };
const budgetKey = { scope: SCOPES[0], unit: USD_UNIT };

const entry = (name: string, mutates: boolean, args: (id: string) => Args): Entry => ({
  name,
  mutates,
  args,
  call: (l, a) => (l as unknown as Record<string, (...x: unknown[]) => unknown>)[name]?.(...a),
});

/** Every public entry point, each with a well-formed call to corrupt. */
const ENTRIES: Entry[] = [
  entry('reserve', true, () => [
    {
      idempotencyKey: key('f'),
      subject,
      action,
      estimate: usd,
      ttlMs: 5_000,
      gracePeriodMs: 0,
      overagePolicy: 'REJECT',
      dryRun: false,
      metadata,
    },
  ]),
  entry('decide', true, () => [{ idempotencyKey: key('f'), subject, action, estimate: usd, metadata }]),
  entry('event', true, () => [
    {
      idempotencyKey: key('f'),
      subject,
      action,
      actual: usd,
      overagePolicy: 'REJECT',
      metrics: { tokensInput: 1, custom: metadata },
      clientTimeMs: 1,
      metadata,
    },
  ]),
  entry('commit', true, (id) => [
    id,
    { idempotencyKey: key('f'), actual: usd, metrics: { latencyMs: 1, custom: metadata }, metadata },
  ]),
  entry('release', true, (id) => [id, { idempotencyKey: key('f'), reason: 'r' }]),
  entry('extend', true, (id) => [id, { idempotencyKey: key('f'), extendByMs: 1_000, metadata }]),
  entry('balances', false, () => [{ tenant: 'acme', workflow: 'support', includeChildren: true, limit: 5 }]),
  entry('getReservation', false, (id) => [id]),
  entry('listReservations', false, () => [
    { tenant: 'acme', status: 'ACTIVE', from: '2026-01-01T00:00:00Z', sortBy: 'reserved', limit: 5 },
  ]),
  entry('createBudget', true, () => [
    {
      scope: 'tenant:acme/workflow:w2',
      unit: USD_UNIT,
      allocated: 5,
      overdraftLimit: 1,
      caps,
      isolated: false,
    },
  ]),
  ...['fund', 'debit', 'setAllocation', 'setOverdraftLimit'].map((n) =>
    entry(n, true, () => [{ ...budgetKey, amount: 1 }]),
  ),
  entry('setCaps', true, () => [{ ...budgetKey, caps }]),
  ...['freeze', 'unfreeze', 'resetSpent'].map((n) => entry(n, true, () => [{ ...budgetKey }])),
  entry('getBudget', false, () => [{ ...budgetKey }]),
  entry('listBudgets', false, () => [{ tenant: 'acme' }]),
  entry('addTemplate', true, () => [
    { match: 'tenant:*/workflow:w3', unit: USD_UNIT, allocated: 5, overdraftLimit: 0, caps },
  ]),
  entry('setDegradationPolicy', true, () => [{ tiers: [{ atPercent: 50, caps }], units: [USD_UNIT] }]),
];

const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;

/** Values no request may carry anywhere. */
const POISON: unknown[] = [
  ...NOT_JSON.map(([, v]) => v),
  nested(4_100),
  nested(70),
  cyclic,
  JSON.parse('{"__proto__":{"admin":true}}'),
  JSON.parse('{"constructor":{"x":1}}'),
  JSON.parse('{"prototype":1}'),
  'x'.repeat(70_000),
  Number.NEGATIVE_INFINITY,
  new Error('e'),
  Object.create({ inherited: 1 }),
];

/** Every path into `value` (objects and arrays), the root first. */
function pathsOf(value: unknown, path: PropertyKey[] = []): PropertyKey[][] {
  const out = [path];
  if (typeof value === 'object' && value !== null) {
    for (const k of Object.keys(value)) {
      out.push(
        ...pathsOf((value as Record<string, unknown>)[k], [...path, Array.isArray(value) ? Number(k) : k]),
      );
    }
  }
  return out;
}

function inject(args: Args, path: PropertyKey[], poison: unknown): Args {
  const copy = structuredClone(args);
  let node = copy as unknown as Record<PropertyKey, unknown>;
  for (const p of path.slice(0, -1)) node = node[p] as Record<PropertyKey, unknown>;
  node[path[path.length - 1] as PropertyKey] = poison;
  return copy;
}

async function state(t: TestLedger): Promise<unknown> {
  return {
    footprint: await t.h.footprint?.(),
    budgets: await t.ledger.listBudgets(),
    reservations: await t.ledger.listReservations({
      include: ['metadata', 'committed_metadata'],
      limit: 200,
    }),
    templates: await t.ledger.listTemplates(),
    degradation: await t.ledger.getDegradationPolicy(),
  };
}

export interface FuzzFigures {
  calls: number;
  untyped: number;
  stateChanges: number;
}

/** Malformed input into every entry point: only typed GovernorErrors, and nothing changes. */
export function fuzzChecks(fresh: FreshLedger, report?: (figures: FuzzFigures) => void) {
  it(`answers ${CALLS} malformed calls into every entry point with typed errors and no change`, async () => {
    const t = await fresh();
    await t.budgets(1000, 1000, 1000);
    const id = await t.reserveId(10);
    const plan = fc.sample(
      fc.record({ entry: fc.nat(ENTRIES.length - 1), path: fc.nat(), poison: fc.nat(POISON.length - 1) }),
      { numRuns: CALLS, seed: Number(process.env.FUZZ_SEED ?? 4821) },
    );
    const figures: FuzzFigures = { calls: 0, untyped: 0, stateChanges: 0 };
    const untyped: string[] = [];
    let before = await state(t);
    for (const [i, step] of plan.entries()) {
      const e = ENTRIES[step.entry] as Entry;
      const base = e.args(id);
      const paths = pathsOf(base);
      const path = paths[step.path % paths.length] as PropertyKey[];
      const args = path.length === 0 ? [POISON[step.poison]] : inject(base, path, POISON[step.poison]);
      figures.calls += 1;
      try {
        await e.call(t.ledger, args);
        if (e.mutates) untyped.push(`${e.name} accepted ${String(path.join('.'))}`);
      } catch (error) {
        if (!GovernorError.isInstance(error)) {
          figures.untyped += 1;
          untyped.push(`${e.name} ${String(path.join('.'))}: ${String(error)}`);
        }
      }
      if (i % 500 === 499 || i === plan.length - 1) {
        const after = await state(t);
        try {
          expect(after).toEqual(before);
        } catch {
          figures.stateChanges += 1;
          before = after;
        }
      }
    }
    report?.(figures);
    expect(untyped.slice(0, 10)).toEqual([]);
    expect(figures).toEqual({ calls: CALLS, untyped: 0, stateChanges: 0 });
    await t.check();
  });
}
