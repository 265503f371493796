import { expect, it } from 'vitest';
import { withAuditContext } from '../../audit/context.js';
import type { AuditTrail, AuditWriter } from '../../audit/types.js';
import { allAuditRecords, assertAuditReplays } from '../audit-invariant.js';
import { expectError } from '../expect-error.js';
import { key, SCOPES, SUBJECT, type TestLedger, USD_UNIT } from '../harness.js';

const trailOf = (t: TestLedger) => t.ledger as unknown as AuditTrail & AuditWriter;

/** The audit trail, for ledgers that keep one: a record per decision and change, queries, the chain. */
export function auditChecks(fresh: () => Promise<TestLedger>) {
  it('records every decision and change once, with what was decided and the budgets after it; replays add nothing', async () => {
    const t = await fresh();
    await t.budgets(100, 50);
    const id = await t.reserveId(30, { idempotencyKey: 'audit-r1', ttlMs: 10_000, gracePeriodMs: 0 });
    await t.reserve(30, { idempotencyKey: 'audit-r1', ttlMs: 10_000, gracePeriodMs: 0 }); // a replay
    await t.commit(id, 20);
    const denied = await t.reserve(80);
    expect(denied.decision).toBe('DENY');
    await t.reserve(5, { dryRun: true });
    await t.ledger.decide({
      idempotencyKey: key('d'),
      subject: SUBJECT,
      action: { kind: 'tool.call', name: 'send_email' },
      estimate: { unit: USD_UNIT, amount: 1 },
    });
    const released = await t.reserveId(4);
    await t.ledger.extend(released, { idempotencyKey: key('x'), extendByMs: 1_000 });
    await t.release(released);
    await t.ledger.event({
      idempotencyKey: key('e'),
      subject: SUBJECT,
      action: { kind: 'tool.call', name: 'search' },
      actual: { unit: USD_UNIT, amount: 3 },
    });
    await t.ledger.fund({ scope: SCOPES[1], unit: USD_UNIT, amount: 10 });
    await t.ledger.freeze({ scope: SCOPES[1], unit: USD_UNIT });
    await t.reserve(2, { ttlMs: 1_000, gracePeriodMs: 0 }); // frozen: DENY at the workflow
    await t.ledger.unfreeze({ scope: SCOPES[1], unit: USD_UNIT });
    await t.reserveId(2, { ttlMs: 1_000, gracePeriodMs: 0 });
    await t.advance(1_001);
    await t.ledger.sweepExpired();

    const records = await assertAuditReplays(t.ledger);
    const acme = records.filter((r) => r.tenant === 'acme');
    expect(acme.map((r) => `${r.operation}${r.decision ? ` ${r.decision}` : ''}`)).toEqual([
      'budget.create',
      'budget.create',
      'reserve ALLOW',
      'commit',
      'reserve DENY',
      'reserve ALLOW',
      'decide ALLOW',
      'reserve ALLOW',
      'extend',
      'release',
      'event',
      'budget.fund',
      'budget.freeze',
      'reserve DENY',
      'budget.unfreeze',
      'reserve ALLOW',
      'expire',
    ]);
    const [first, second] = [acme[2], acme[3]];
    expect(first).toMatchObject({
      reservationId: id,
      idempotencyKey: 'audit-r1',
      subject: SUBJECT,
      scopePath: SCOPES[2],
      action: { kind: 'llm.completion', name: 'gpt-4o-mini' },
      estimate: { unit: USD_UNIT, amount: 30 },
      scopes: [
        { scope: SCOPES[0], remaining: 70, reserved: 30, delta: { reserved: 30 } },
        { scope: SCOPES[1], remaining: 20, reserved: 30, delta: { reserved: 30 } },
      ],
    });
    expect(first?.actor).toMatch(/.+/);
    expect(second).toMatchObject({
      reservationId: id,
      actual: { unit: USD_UNIT, amount: 20 },
      charged: { unit: USD_UNIT, amount: 20 },
      scopes: [
        { scope: SCOPES[0], spent: 20, remaining: 80, delta: { reserved: -30, spent: 20 } },
        { scope: SCOPES[1], spent: 20, remaining: 30, delta: { reserved: -30, spent: 20 } },
      ],
    });
    expect(acme[4]).toMatchObject({ reasonCode: 'BUDGET_EXCEEDED', blockedScope: SCOPES[1] });
    expect(acme[4]?.scopes.every((s) => s.delta === undefined)).toBe(true);
    expect(acme[5]).toMatchObject({ dryRun: true });
    expect(acme[6]?.action?.name).toBe('send_email');
    expect(acme[13]).toMatchObject({ reasonCode: 'BUDGET_FROZEN', blockedScope: SCOPES[1] });
    expect(acme[16]).toMatchObject({ released: { unit: USD_UNIT, amount: 2 } });
    expect(acme.map((r) => r.atMs)).toEqual([...acme.map((r) => r.atMs)].sort((a, b) => a - b));
  });

  it('answers queries by decision, reservation, action, run, scope, operation and time, page by page', async () => {
    const t = await fresh();
    await t.budgets(1_000, 1_000, 1_000);
    const start = (await allAuditRecords(t.ledger, 'acme')).at(-1)?.atMs ?? 0;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await t.reserveId(10, { subject: { ...SUBJECT, run: `r${i % 2}` } }));
      await t.advance(10);
    }
    await t.reserve(5_000);
    await t.commit(ids[2] as string, 7);
    const audit = trailOf(t);
    const all = await allAuditRecords(t.ledger, 'acme');
    const q = async (query: Parameters<AuditTrail['queryAudit']>[0]) =>
      (await audit.queryAudit({ tenant: 'acme', ...query })).records.map((r) => r.id);
    const ofAll = (p: (r: (typeof all)[number]) => boolean) => all.filter(p).map((r) => r.id);
    expect(await q({ decision: 'DENY' })).toEqual(ofAll((r) => r.decision === 'DENY'));
    expect((await q({ decision: 'DENY' })).length).toBe(1);
    expect(await q({ reservationId: ids[2] })).toEqual(ofAll((r) => r.reservationId === ids[2]));
    expect((await q({ reservationId: ids[2] })).length).toBe(2);
    expect(await q({ run: 'r1' })).toEqual(ofAll((r) => r.subject?.run === 'r1'));
    expect((await q({ run: 'r1' })).length).toBe(3); // two reserves and the DENY
    expect(await q({ actionName: 'gpt-4o-mini', operation: 'reserve' })).toEqual(
      ofAll((r) => r.operation === 'reserve'),
    );
    expect(await q({ scopePrefix: 'tenant:acme/workflow:support/run:r0' })).toEqual(
      ofAll((r) => r.scopePath === 'tenant:acme/workflow:support/run:r0'),
    );
    expect(await q({ fromMs: start + 10, toMs: start + 30 })).toEqual(
      ofAll((r) => r.atMs >= start + 10 && r.atMs < start + 30),
    );
    // Pages of 2 give the whole trail once, in order; the last cursor goes on with what comes next.
    const paged: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await audit.queryAudit({ tenant: 'acme', limit: 2, ...(after ? { after } : {}) });
      paged.push(...page.records.map((r) => r.id));
      after = page.cursor;
      if (!page.hasMore) break;
    }
    expect(paged).toEqual(all.map((r) => r.id));
    expect((await audit.queryAudit({ tenant: 'acme', after })).records).toEqual([]);
    await t.release(ids[0] as string);
    const next = await audit.queryAudit({ tenant: 'acme', after });
    expect(next.records.map((r) => [r.operation, r.reservationId])).toEqual([['release', ids[0]]]);
    // Across tenants: the same records and the other tenant's, merged by time.
    const everyone = await allAuditRecords(t.ledger);
    expect(everyone.filter((r) => r.tenant === 'acme').map((r) => r.id)).toEqual([
      ...all.map((r) => r.id),
      next.records[0]?.id,
    ]);
  });

  it('refuses a malformed query, naming the field', async () => {
    const t = await fresh();
    const audit = trailOf(t);
    await expectError(audit.queryAudit({ limit: 0 }), 'INVALID_REQUEST', /limit/);
    await expectError(audit.queryAudit({ after: 'not-a-cursor' }), 'INVALID_REQUEST', /after/);
    await expectError(audit.queryAudit({ decision: 'MAYBE' as 'DENY' }), 'INVALID_REQUEST', /decision/);
    await expectError(
      audit.queryAudit({ tenant: 'acme', sortBy: 'x' } as unknown as Parameters<AuditTrail['queryAudit']>[0]),
      'INVALID_REQUEST',
      /sortBy/,
    );
  });

  it('records who called: the audit context of the call, else this process', async () => {
    const t = await fresh();
    await t.budgets(100);
    await withAuditContext({ actor: 'key:k_audit', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }, () =>
      t.reserve(1),
    );
    await t.reserve(1);
    const [, byKey, byProcess] = await allAuditRecords(t.ledger, 'acme');
    expect(byKey).toMatchObject({ actor: 'key:k_audit', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(byProcess?.actor).toMatch(/^process:/);
    const appended = await trailOf(t).appendAudit({
      tenant: 'acme',
      operation: 'key.create',
      actor: 'key:admin',
      detail: { keyId: 'k_new' },
    });
    expect(appended).toMatchObject({ operation: 'key.create', detail: { keyId: 'k_new' }, scopes: [] });
    expect((await trailOf(t).verifyAudit('acme')).ok).toBe(true);
    await expectError(
      trailOf(t).appendAudit({ tenant: 'acme', operation: 'reserve' as 'key.create' }),
      'INVALID_REQUEST',
      /operation/,
    );
  });
}
