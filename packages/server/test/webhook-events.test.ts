/**
 * eventsOfRecord on its own: hand-made records for each rule, then the
 * records a real MemoryAuthority writes for a budget that fills up.
 */
import { type AuditRecord, type AuditScope, ManualClock, MemoryAuthority } from '@governor/core';
import { describe, expect, it } from 'vitest';
import { eventsOfRecord } from '../src/index.js';

const USD = 'USD_MICROCENTS';

const scope = (over: Partial<AuditScope> = {}): AuditScope => ({
  scope: 'tenant:acme',
  unit: USD,
  status: 'ACTIVE',
  allocated: 1_000,
  spent: 0,
  reserved: 0,
  debt: 0,
  remaining: 1_000,
  ...over,
});

const record = (over: Partial<AuditRecord> = {}): AuditRecord => ({
  id: '7',
  atMs: 1_000,
  tenant: 'acme',
  operation: 'reserve',
  scopes: [],
  prevHash: '',
  hash: 'h',
  body: '{}',
  ...over,
});

const types = (r: AuditRecord, thresholds?: number[]) => eventsOfRecord(r, thresholds).map((e) => e.type);

describe('eventsOfRecord', () => {
  it('a DENY is decision.denied, with a stable id and the fields of the record', () => {
    const r = record({
      decision: 'DENY',
      reasonCode: 'BUDGET_EXCEEDED',
      blockedScope: 'tenant:acme',
      action: { kind: 'tool.call', name: 'send_email' },
      scopes: [scope({ spent: 990, remaining: 10 })],
    });
    const [event, ...rest] = eventsOfRecord(r);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      id: 'acme:7:decision.denied',
      type: 'decision.denied',
      tenant: 'acme',
      occurredAtMs: 1_000,
      data: {
        recordId: '7',
        operation: 'reserve',
        decision: 'DENY',
        reasonCode: 'BUDGET_EXCEEDED',
        blockedScope: 'tenant:acme',
        action: { kind: 'tool.call', name: 'send_email' },
      },
    });
    expect(eventsOfRecord(r)).toEqual(eventsOfRecord(r));
  });

  it('ALLOW_WITH_CAPS is decision.capped; an expiry, a freeze have their own types', () => {
    expect(types(record({ decision: 'ALLOW_WITH_CAPS', caps: { maxTokens: 100 } }))).toEqual([
      'decision.capped',
    ]);
    expect(types(record({ decision: 'ALLOW' }))).toEqual([]);
    expect(types(record({ operation: 'expire', reservationId: 'r1' }))).toEqual(['reservation.expired']);
    expect(types(record({ operation: 'budget.freeze', scopes: [scope({ status: 'FROZEN' })] }))).toEqual([
      'budget.frozen',
    ]);
    expect(types(record({ tenant: '*', operation: 'policy.add_template' }))).toEqual([]);
  });

  it('budget.threshold: each threshold crossed upwards between before (after − delta) and after, once', () => {
    // 40 % → 85 %: crosses 50 and 80.
    const up = record({ scopes: [scope({ reserved: 850, remaining: 150, delta: { reserved: 450 } })] });
    const seen = eventsOfRecord(up, [50, 80, 95, 100]);
    expect(seen.map((e) => [e.type, e.data.thresholdPercent])).toEqual([
      ['budget.threshold', 50],
      ['budget.threshold', 80],
    ]);
    expect(seen[0]?.id).toBe('acme:7:budget.threshold:tenant:acme:USD_MICROCENTS:50');
    expect(seen[0]?.data).toMatchObject({
      scope: 'tenant:acme',
      utilisationPercentBefore: 40,
      utilisationPercentAfter: 85,
      before: { reserved: 400, remaining: 600 },
      after: { reserved: 850, remaining: 150 },
    });
    // Staying above: nothing. Exactly at a threshold counts as reached.
    expect(types(record({ scopes: [scope({ spent: 900, remaining: 100, delta: { spent: 50 } })] }))).toEqual(
      [],
    );
    expect(
      eventsOfRecord(record({ scopes: [scope({ spent: 950, remaining: 50, delta: { spent: 1 } })] })).map(
        (e) => e.data.thresholdPercent,
      ),
    ).toEqual([95]);
    // Going down (a release) fires nothing; the subscription's own thresholds apply.
    expect(types(record({ scopes: [scope({ reserved: 0, delta: { reserved: -900 } })] }))).toEqual([]);
    expect(
      eventsOfRecord(up, [60]).map((e) => e.data.thresholdPercent),
      'custom thresholds',
    ).toEqual([60]);
  });

  it('budget.exhausted when remaining goes from above 0 to 0 or less; debt.incurred on a debt delta', () => {
    const spentOut = record({
      operation: 'commit',
      scopes: [scope({ spent: 1_000, remaining: 0, delta: { spent: 100 } })],
    });
    expect(types(spentOut, [])).toEqual(['budget.exhausted']);
    const debt = record({
      operation: 'commit',
      scopes: [scope({ spent: 1_000, debt: 30, remaining: -30, delta: { spent: 100, debt: 30 } })],
    });
    const events = eventsOfRecord(debt, []);
    expect(events.map((e) => e.type)).toEqual(['budget.exhausted', 'debt.incurred']);
    expect(events[1]?.data.debtIncurred).toBe(30);
    // Already at 0: not exhausted again.
    expect(
      types(record({ scopes: [scope({ spent: 1_000, remaining: 0, delta: { reserved: 0 } })] }), []),
    ).toEqual([]);
  });

  it('on the records of a real ledger, a budget filling up fires each threshold once per crossing', async () => {
    const clock = new ManualClock();
    const ledger = new MemoryAuthority({ clock });
    await ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 1_000 });
    const subject = { tenant: 'acme' };
    const action = { kind: 'llm.completion', name: 'm' };
    let n = 0;
    const spend = async (amount: number) => {
      const r = await ledger.reserve({
        idempotencyKey: `r${++n}`,
        subject,
        action,
        estimate: { unit: USD, amount },
      });
      return r.reservationId as string;
    };
    await spend(300); // 30 %
    const held = await spend(300); // 60 %: 50
    await spend(100); // 70 %
    await ledger.release(held, { idempotencyKey: 'rel' }); // 40 %
    await spend(150); // 55 %: 50 again
    await spend(450); // 100 %: 80, 95, 100, exhausted
    const page = await ledger.queryAudit({ tenant: 'acme', limit: 1_000 });
    const fired = page.records
      .flatMap((r) => eventsOfRecord(r))
      .map((e) => (e.type === 'budget.threshold' ? `${e.data.thresholdPercent}` : e.type));
    expect(fired).toEqual(['50', '50', '80', '95', '100', 'budget.exhausted']);
    const denied = await ledger.reserve({
      idempotencyKey: 'over',
      subject,
      action,
      estimate: { unit: USD, amount: 1 },
    });
    expect(denied.decision).toBe('DENY');
    const last = (await ledger.queryAudit({ tenant: 'acme', after: page.cursor })).records;
    expect(last.flatMap((r) => eventsOfRecord(r)).map((e) => e.type)).toEqual(['decision.denied']);
  });
});
