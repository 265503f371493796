/**
 * Budgets rebuilt from a trail alone: the sum of every record's deltas per
 * budget. Equal to the ledger's own figures when no change went unrecorded
 * (and the trail was kept from the start).
 */
import type { AuditRecord } from './types.js';

export interface AuditBalances {
  allocated: number;
  spent: number;
  reserved: number;
  debt: number;
  /** As of the budget's last record. */
  status: string;
}

/** Figures per `scope|unit`, from `records` (oldest first). */
export function replayAudit(records: Iterable<Pick<AuditRecord, 'scopes'>>): Map<string, AuditBalances> {
  const out = new Map<string, AuditBalances>();
  for (const r of records) {
    for (const s of r.scopes) {
      const key = `${s.scope}|${s.unit}`;
      const b = out.get(key) ?? { allocated: 0, spent: 0, reserved: 0, debt: 0, status: s.status };
      b.allocated += s.delta?.allocated ?? 0;
      b.spent += s.delta?.spent ?? 0;
      b.reserved += s.delta?.reserved ?? 0;
      b.debt += s.delta?.debt ?? 0;
      b.status = s.status;
      out.set(key, b);
    }
  }
  return out;
}
