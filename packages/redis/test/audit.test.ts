/**
 * RedisAuthority's trail beyond the conformance checks: records appended by
 * the same script as the change under 200 concurrent reserves (no record
 * without its change, none twice), retention by count, a removed record or
 * a rewritten head caught by verify, and the trail read by a second instance.
 */
import { allAuditRecords, assertAuditReplays } from '@governor/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPrefix, testLedger, uniquePrefix } from './support.js';

const USD = 'USD_MICROCENTS' as const;
const prefixes: string[] = [];
const ledgers: ReturnType<typeof testLedger>[] = [];
function fresh(options: Parameters<typeof testLedger>[1] = {}) {
  const prefix = uniquePrefix('audit');
  const ledger = testLedger(prefix, options);
  prefixes.push(prefix);
  ledgers.push(ledger);
  return { ledger, prefix };
}
afterAll(async () => {
  for (const [i, l] of ledgers.entries()) {
    await dropPrefix(l, prefixes[i] as string);
    await l.quit();
  }
});

const reserve = (ledger: ReturnType<typeof testLedger>, key: string, amount: number) =>
  ledger.reserve({
    idempotencyKey: key,
    subject: { tenant: 'acme', run: 'r1' },
    action: { kind: 'tool.call', name: 'send_email' },
    estimate: { unit: USD, amount },
  });

describe('RedisAuthority audit trail', () => {
  it('200 concurrent reserves against a budget for 120: one record per decision, atomic with it', async () => {
    const { ledger } = fresh();
    await ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 120 });
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => reserve(ledger, `c-${i}`, 1)));
    // …and their replays, which add nothing.
    await Promise.all(Array.from({ length: 50 }, (_, i) => reserve(ledger, `c-${i}`, 1)));
    const records = (await assertAuditReplays(ledger)).filter((r) => r.operation === 'reserve');
    expect(records).toHaveLength(200);
    expect(records.filter((r) => r.decision === 'ALLOW')).toHaveLength(
      answers.filter((a) => a.decision === 'ALLOW').length,
    );
    expect(records.filter((r) => r.decision === 'ALLOW')).toHaveLength(120);
    expect(new Set(records.map((r) => r.idempotencyKey)).size).toBe(200);
    // The remaining each record shows is the budget right after it: 119, 118, … 0 in trail order.
    const remaining = records.filter((r) => r.decision === 'ALLOW').map((r) => r.scopes[0]?.remaining);
    expect(remaining).toEqual(Array.from({ length: 120 }, (_, i) => 119 - i));
    expect(await ledger.verifyAudit('acme')).toMatchObject({ ok: true, checked: 201 });
  });

  it('keeps about maxRecordsPerTenant records (Redis trims whole stream nodes); the kept chain verifies', async () => {
    const { ledger } = fresh({ audit: { maxRecordsPerTenant: 100 } });
    await ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 1_000_000 });
    for (let i = 0; i < 600; i++) await reserve(ledger, `k-${i}`, 1);
    const kept = await allAuditRecords(ledger, 'acme');
    expect(kept.length).toBeGreaterThanOrEqual(100);
    expect(kept.length).toBeLessThanOrEqual(300);
    expect(kept.at(-1)?.idempotencyKey).toBe('k-599');
    expect((await ledger.verifyAudit('acme')).ok).toBe(true);
  });

  it('a record removed from the stream, or a rewritten record, breaks the chain there', async () => {
    const { ledger, prefix } = fresh();
    await ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 100 });
    for (let i = 0; i < 4; i++) await reserve(ledger, `t-${i}`, 10);
    const records = await allAuditRecords(ledger, 'acme');
    const stream = `${prefix}{acme}:audit`;
    await ledger.client.xdel(stream, records[2]?.id as string);
    const v = await ledger.verifyAudit('acme');
    expect(v).toMatchObject({ ok: false, checked: 3, firstBreak: { id: records[3]?.id } });
    // Rewritten: a forged entry with a valid-looking hash of the wrong predecessor.
    const forged = (records[4]?.body ?? '').replace('"amount":10', '"amount":1');
    await ledger.client.xadd(
      stream,
      '*',
      'b',
      forged,
      'p',
      records[4]?.prevHash as string,
      'h',
      records[4]?.hash as string,
    );
    const again = await ledger.verifyAudit('acme');
    expect(again.ok).toBe(false);
  });

  it('a second instance on the same prefix reads the same trail, and appends to the same chain', async () => {
    const { ledger, prefix } = fresh();
    await ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 100 });
    await reserve(ledger, 'a', 5);
    const other = testLedger(prefix);
    ledgers.push(other);
    prefixes.push(prefix);
    await reserve(other, 'b', 5);
    await other.appendAudit({ tenant: 'acme', operation: 'key.create', detail: { keyId: 'k1' } });
    const mine = await allAuditRecords(ledger, 'acme');
    expect(mine.map((r) => r.idempotencyKey ?? r.operation)).toEqual([
      'budget.create',
      'a',
      'b',
      'key.create',
    ]);
    expect(await other.verifyAudit('acme')).toMatchObject({ ok: true, checked: 4 });
  });
});
