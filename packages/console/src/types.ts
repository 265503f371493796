/** What the console reads from the admin API (types only: nothing of @governor/core is bundled). */
export type { Approval, AuditRecord, BudgetInfo, Explanation, Unit } from '@governor/core';

export interface Tenant {
  tenantId: string;
  name?: string;
  status: 'ACTIVE' | 'SUSPENDED' | 'CLOSED';
  createdAtMs: number;
}

/** A stream record with the moment the page received it (epoch ms), for the live view. */
export interface Seen {
  key: string;
  receivedAtMs: number;
}
