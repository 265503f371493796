/**
 * Faults inside the model-based sequences (TigerBeetle's lesson): random
 * operations, some of whose answers are lost (the ledger applied the call, the
 * caller never saw it), time out (the caller retries while the first attempt
 * is still in flight), are followed by a restart of the authority before the
 * caller sees them, or meet a restart while in flight (an outage: the call may
 * or may not have been applied); and restarts on their own. The caller always retries with
 * the same key and must get the original answer. After every step: the ledger
 * invariant holds, and every acknowledged charge is counted exactly once.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { GovernorError, TransportError } from '../../errors.js';
import { OVERAGE_POLICIES } from '../../protocol/types.js';
import { type FreshLedger, key, SCOPES, SUBJECT, type TestLedger, USD_UNIT } from '../harness.js';

type Fault = 'none' | 'lost' | 'timeout' | 'crash' | 'outage';
type Op =
  | { op: 'reserve'; depth: number; amount: number; ttlMs: number; policy: string; fault: Fault }
  | { op: 'commit'; pick: number; actual: number; fault: Fault }
  | { op: 'release'; pick: number; fault: Fault }
  | { op: 'extend'; pick: number; ms: number; fault: Fault }
  | { op: 'event'; depth: number; amount: number; policy: string; fault: Fault }
  | { op: 'advance'; ms: number }
  | { op: 'restart' };

const fault = fc.constantFrom<Fault>('none', 'lost', 'lost', 'timeout', 'timeout', 'crash', 'outage');
const depth = fc.integer({ min: 1, max: 3 });
const policy = fc.constantFrom(...OVERAGE_POLICIES);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('reserve' as const),
      depth,
      amount: fc.integer({ min: 0, max: 80 }),
      ttlMs: fc.integer({ min: 1_000, max: 6_000 }),
      policy,
      fault,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('commit' as const),
      pick: fc.nat(),
      actual: fc.integer({ min: 0, max: 120 }),
      fault,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat(), fault }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('extend' as const),
      pick: fc.nat(),
      ms: fc.integer({ min: 1, max: 5_000 }),
      fault,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('event' as const),
      depth,
      amount: fc.integer({ min: 0, max: 60 }),
      policy,
      fault,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 4_000 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('restart' as const) }) },
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

/** What identifies an answer: a replay must give the same. */
function essence(op: Op['op'], answer: unknown): unknown {
  const a = answer as Record<string, unknown>;
  if (answer instanceof Error) return { code: (answer as GovernorError).code };
  switch (op) {
    case 'reserve':
      return { d: a.decision, id: a.reservationId, r: a.reserved, e: a.expiresAtMs, why: a.reasonCode };
    case 'commit':
      return { c: a.charged, r: a.released };
    case 'release':
      return { r: a.released };
    case 'extend':
      return { e: a.expiresAtMs };
    default:
      return { id: a.eventId, c: a.charged };
  }
}

export interface FaultFigures {
  steps: number;
  lost: number;
  timeouts: number;
  crashes: number;
  /** Restarts while a call was in flight. */
  outages: number;
  restarts: number;
  /** Transport failures retried (the authority was down). */
  retried: number;
}

/** The fault model check; restarts (and crash faults) only where the harness can restart the ledger. */
export function faultChecks(
  fresh: FreshLedger,
  options: { runs?: number; steps?: number; report?: (figures: FaultFigures) => void } = {},
) {
  it('keeps the invariant and counts every acknowledged charge once under lost answers, timeouts and restarts', async () => {
    const figures: FaultFigures = {
      steps: 0,
      lost: 0,
      timeouts: 0,
      crashes: 0,
      outages: 0,
      restarts: 0,
      retried: 0,
    };
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: options.steps ?? 30 }), async (ops) => {
        const t = await fresh();
        await t.budget(SCOPES[0], 600);
        await t.budget(SCOPES[1], 300, { overdraftLimit: 60 });
        await t.budget(SCOPES[2], 200, { overdraftLimit: 20 });
        await runSequence(t, ops, figures);
      }),
      { numRuns: options.runs ?? 15 },
    );
    options.report?.(figures);
  });
}

async function runSequence(t: TestLedger, ops: Op[], figures: FaultFigures) {
  const charged = new Map<string, number>(SCOPES.map((s) => [s, 0]));
  const live: { id: string; scopes: string[] }[] = [];
  const restart = async () => {
    if (!t.h.restart) return;
    await t.h.restart();
    figures.restarts += 1;
  };
  /** One attempt, retried while the authority cannot be reached; a ledger's answer or error is returned. */
  const attempt = async (send: () => Promise<unknown>): Promise<unknown> => {
    for (let i = 0; ; i++) {
      try {
        return await send();
      } catch (error) {
        if (!TransportError.isInstance(error) || i >= 100) return error;
        figures.retried += 1;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  /** Send under `f`; the answer the caller finally sees, checked against the original one. */
  const deliver = async (op: Op['op'], f: Fault, send: () => Promise<unknown>): Promise<unknown> => {
    if (f === 'none') return attempt(send);
    let original: unknown;
    if (f === 'timeout' || f === 'outage') {
      const outage = f === 'outage' && t.h.restart !== undefined;
      if (outage) figures.outages += 1;
      else figures.timeouts += 1;
      const inFlight = attempt(send);
      if (outage) await restart();
      const answer = await attempt(send);
      original = await inFlight;
      // Either may have been applied first: both must be the same answer.
      expect(essence(op, answer), `${op} retried during a timeout`).toEqual(essence(op, original));
      return answer;
    }
    original = await attempt(send);
    if (f === 'crash' && t.h.restart) {
      figures.crashes += 1;
      await restart();
    } else figures.lost += 1;
    const answer = await attempt(send);
    expect(essence(op, answer), `${op} retried after a ${f} answer`).toEqual(essence(op, original));
    return answer;
  };
  const charge = (scopes: readonly string[], amount: number) => {
    for (const s of scopes) charged.set(s, (charged.get(s) ?? 0) + amount);
  };
  const ok = (answer: unknown): answer is Record<string, unknown> => {
    if (!(answer instanceof Error)) return true;
    if (!GovernorError.isInstance(answer) || !ALLOWED.has(answer.code)) throw answer;
    return false;
  };

  for (const step of ops) {
    figures.steps += 1;
    if (step.op === 'advance') {
      const answer = await attempt(async () => t.advance(step.ms));
      if (answer instanceof Error) throw answer;
    } else if (step.op === 'restart') {
      await restart();
    } else if (step.op === 'reserve') {
      const request = {
        idempotencyKey: key('fm'),
        subject: subjectAt(step.depth),
        action: { kind: 'llm.completion', name: 'm' },
        estimate: { unit: USD_UNIT, amount: step.amount },
        ttlMs: step.ttlMs,
        gracePeriodMs: 500,
        overagePolicy: step.policy as never,
      };
      const r = await deliver('reserve', step.fault, () => t.ledger.reserve(request));
      if (ok(r) && typeof r.reservationId === 'string' && !live.some((l) => l.id === r.reservationId)) {
        live.push({ id: r.reservationId, scopes: r.affectedScopes as string[] });
      }
    } else if (step.op === 'event') {
      const request = {
        idempotencyKey: key('fe'),
        subject: subjectAt(step.depth),
        action: { kind: 'tool.call', name: 'x' },
        actual: { unit: USD_UNIT, amount: step.amount },
        overagePolicy: step.policy as never,
      };
      const e = await deliver('event', step.fault, () => t.ledger.event(request));
      if (ok(e))
        charge(
          SCOPES.slice(0, step.depth),
          (e.charged as { amount: number } | undefined)?.amount ?? step.amount,
        );
    } else if (live.length > 0) {
      const target = live[step.pick % live.length] as { id: string; scopes: string[] };
      if (step.op === 'commit') {
        const request = { idempotencyKey: key('fc'), actual: { unit: USD_UNIT, amount: step.actual } };
        const c = await deliver('commit', step.fault, () => t.ledger.commit(target.id, request));
        if (ok(c)) charge(target.scopes, (c.charged as { amount: number }).amount);
      } else if (step.op === 'release') {
        const request = { idempotencyKey: key('fr') };
        ok(await deliver('release', step.fault, () => t.ledger.release(target.id, request)));
      } else {
        const request = { idempotencyKey: key('fx'), extendByMs: step.ms };
        ok(await deliver('extend', step.fault, () => t.ledger.extend(target.id, request)));
      }
    }
    const budgets = await t.check();
    for (const b of budgets) {
      expect(b.spent + b.debt, `${b.scope} spent + debt = acknowledged charges`).toBe(charged.get(b.scope));
    }
  }
}
