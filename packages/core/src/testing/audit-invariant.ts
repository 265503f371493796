/**
 * The audit invariant of a ledger that keeps a trail: every tenant's chain
 * verifies, and its budgets rebuilt from the trail alone (the sum of the
 * records' deltas) equal the ledger's own figures — so no change went
 * unrecorded and no record claims a change that did not happen.
 */
import { expect } from 'vitest';
import { replayAudit } from '../audit/replay.js';
import { type AuditRecord, isAuditTrail } from '../audit/types.js';
import type { Ledger } from '../authority.js';
import { tenantOfScope } from '../scopes.js';

/** Every record of `tenant` (or of every tenant), oldest first, page by page. */
export async function allAuditRecords(ledger: Ledger, tenant?: string): Promise<AuditRecord[]> {
  if (!isAuditTrail(ledger)) throw new Error('this ledger keeps no audit trail');
  const out: AuditRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await ledger.queryAudit({
      limit: 500,
      ...(tenant ? { tenant } : {}),
      ...(after ? { after } : {}),
    });
    out.push(...page.records);
    after = page.cursor;
    if (!page.hasMore) return out;
  }
}

/** Assert the audit invariant (a no-op for a ledger without a trail); returns the records checked. */
export async function assertAuditReplays(ledger: Ledger): Promise<AuditRecord[]> {
  if (!isAuditTrail(ledger)) return [];
  const budgets = await ledger.listBudgets();
  const records = await allAuditRecords(ledger);
  const replayed = replayAudit(records);
  for (const b of budgets) {
    const r = replayed.get(`${b.scope}|${b.unit}`);
    expect(r, `${b.scope} (${b.unit}) has audit records`).toBeDefined();
    expect(
      { allocated: r?.allocated, spent: r?.spent, reserved: r?.reserved, debt: r?.debt, status: r?.status },
      `${b.scope} (${b.unit}) rebuilt from its audit records`,
    ).toEqual({
      allocated: b.allocated,
      spent: b.spent,
      reserved: b.reserved,
      debt: b.debt,
      status: b.status,
    });
    replayed.delete(`${b.scope}|${b.unit}`);
  }
  // What is left are budgets only looked at (a template not materialised): nothing may have changed there.
  for (const [k, r] of replayed)
    expect({ k, ...r, status: undefined }).toEqual({
      k,
      allocated: 0,
      spent: 0,
      reserved: 0,
      debt: 0,
      status: undefined,
    });
  for (const tenant of new Set(
    records.map((r) => r.tenant).concat(budgets.map((b) => tenantOfScope(b.scope))),
  )) {
    const v = await ledger.verifyAudit(tenant);
    expect(v, `audit chain of ${tenant}`).toMatchObject({ ok: true });
  }
  return records;
}
