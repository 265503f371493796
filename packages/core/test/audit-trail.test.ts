/**
 * MemoryAuthority's trail beyond the conformance checks: retention by count
 * and by age, a tampered snapshot caught by verify, audit: false, and
 * explain for a capped call (the degradation tier in force then).
 */
import { describe, expect, it } from 'vitest';
import { explainReservation, ManualClock, MemoryAuthority } from '../src/index.js';
import type { StoredAuditRecord } from '../src/ledger/index.js';
import { allAuditRecords } from '../src/testing/index.js';

const USD = 'USD_MICROCENTS' as const;
const reserve = (ledger: MemoryAuthority, i: number, amount = 1) =>
  ledger.reserve({
    idempotencyKey: `k-${i}`,
    subject: { tenant: 'acme' },
    action: { kind: 'tool.call', name: 'x' },
    estimate: { unit: USD, amount },
  });

describe('MemoryAuthority audit trail', () => {
  it('keeps the last maxRecordsPerTenant records, and none older than maxAgeMs; the kept chain still verifies', async () => {
    const clock = new ManualClock();
    const ledger = new MemoryAuthority({ clock, audit: { maxRecordsPerTenant: 50 } });
    await ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 1_000_000 });
    for (let i = 0; i < 500; i++) await reserve(ledger, i);
    const kept = await allAuditRecords(ledger, 'acme');
    expect(kept).toHaveLength(50);
    expect(kept.at(-1)?.idempotencyKey).toBe('k-499');
    expect(await ledger.verifyAudit('acme')).toMatchObject({ ok: true, checked: 50 });

    const aged = new MemoryAuthority({ clock, audit: { maxAgeMs: 1_000 } });
    await aged.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 100 });
    await reserve(aged, 1);
    clock.advance(1_500);
    await reserve(aged, 2);
    expect((await allAuditRecords(aged, 'acme')).map((r) => r.idempotencyKey)).toEqual(['k-2']);
  });

  it('a record changed, removed or reordered in a snapshot breaks the chain at that record', async () => {
    const ledger = new MemoryAuthority({ clock: new ManualClock() });
    await ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 100 });
    for (let i = 0; i < 4; i++) await reserve(ledger, i, 10);
    const intact = await ledger.verifyAudit('acme');
    expect(intact).toMatchObject({ ok: true, checked: 5 });
    const tamper = (edit: (records: StoredAuditRecord[]) => void) => {
      const s = ledger.snapshot();
      const trail = s.audit?.trails.find((t) => t.tenant === 'acme');
      if (!trail) throw new Error('no trail in the snapshot');
      edit(trail.records);
      return MemoryAuthority.restore(s).verifyAudit('acme');
    };
    const edited = await tamper((rs) => {
      const r = rs[2] as StoredAuditRecord;
      r.body = r.body.replace('"amount":10', '"amount":1');
    });
    expect(edited).toMatchObject({
      ok: false,
      firstBreak: { id: '3', reason: 'its hash does not match its content' },
    });
    const removed = await tamper((rs) => rs.splice(2, 1));
    expect(removed).toMatchObject({ ok: false, firstBreak: { id: '4' } });
    expect(removed.firstBreak?.reason).toMatch(/is not the previous record's hash/);
    const swapped = await tamper((rs) => rs.reverse());
    expect(swapped.ok).toBe(false);
    // The head hash changes with every record: kept elsewhere, it shows a rewrite of the whole trail.
    await reserve(ledger, 9);
    expect((await ledger.verifyAudit('acme')).headHash).not.toBe(intact.headHash);
  });

  it('audit: false keeps none and says so', async () => {
    const ledger = new MemoryAuthority({ audit: false });
    await ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 100 });
    await reserve(ledger, 1);
    await expect(ledger.queryAudit()).rejects.toThrow(/keeps no audit trail/);
    expect(ledger.snapshot().audit).toBeUndefined();
  });

  it('explains a capped call by the degradation tier in force at that moment', async () => {
    const clock = new ManualClock();
    const ledger = new MemoryAuthority({ clock });
    await ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 100 });
    await ledger.setDegradationPolicy({ tiers: [{ atPercent: 50, caps: { maxTokens: 256 } }] });
    const first = await reserve(ledger, 1, 60);
    clock.advance(10);
    const capped = await reserve(ledger, 2, 10);
    expect(capped.decision).toBe('ALLOW_WITH_CAPS');
    // The policy changes later: the explanation uses the one in force then.
    clock.advance(10);
    await ledger.setDegradationPolicy({ tiers: [{ atPercent: 90, caps: { maxTokens: 1 } }] });
    const e = await explainReservation(ledger, capped.reservationId as string);
    expect(e).toMatchObject({ decision: 'ALLOW_WITH_CAPS', caps: { maxTokens: 256 } });
    expect(e.rule).toBe('ALLOW_WITH_CAPS: degradation tier 50% (highest utilisation 60%)');
    expect(e.scopes[0]).toMatchObject({
      before: { remaining: 40 },
      after: { remaining: 30 },
      utilisationPercent: 60,
    });
    const allowed = await explainReservation(ledger, first.reservationId as string);
    expect(allowed.rule).toMatch(/^ALLOW: every scope had room/);
  });
});
