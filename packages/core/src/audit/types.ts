/**
 * The audit trail: one record per ledger change or decision, kept by the
 * ledger itself (atomic with the change), chained by hash per tenant, and
 * queryable after the fact — "why was this action allowed?".
 */
import type { BudgetStatus } from '../authority.js';
import type { Action, Amount, Caps, Decision, Subject, Unit } from '../protocol/types.js';

/** What happened. Runtime operations, the expiry of a reservation, and admin changes. */
export const AUDIT_OPERATIONS = [
  'reserve',
  'decide',
  'commit',
  'release',
  'extend',
  'event',
  'expire',
  'budget.create',
  'budget.fund',
  'budget.debit',
  'budget.set_allocation',
  'budget.set_overdraft_limit',
  'budget.set_caps',
  'budget.freeze',
  'budget.unfreeze',
  'budget.close',
  'budget.reset_spent',
  'budget.rollover',
  'policy.add_template',
  'policy.set_degradation',
  'key.create',
  'key.revoke',
  'approval.request',
  'approval.approve',
  'approval.reject',
] as const;
export type AuditOperation = (typeof AUDIT_OPERATIONS)[number];

/** Changes of a budget's figures made by one operation (absent = unchanged). */
export interface AuditDelta {
  allocated?: number;
  spent?: number;
  reserved?: number;
  debt?: number;
}

/** One budget an operation looked at: its figures after the operation, and what the operation changed. */
export interface AuditScope {
  scope: string;
  unit: Unit;
  status: BudgetStatus;
  allocated: number;
  spent: number;
  reserved: number;
  debt: number;
  remaining: number;
  delta?: AuditDelta;
  /** The budget's own caps, when it has some. */
  caps?: Caps;
}

/** The content of one record, as the ledger writes it (and hashes it). */
export interface AuditEntry {
  /** Ledger time of the operation. */
  atMs: number;
  /** The tenant whose chain the record is in; `*` for changes that are not one tenant's (templates, degradation). */
  tenant: string;
  operation: AuditOperation;
  subject?: Subject;
  /** The deepest scope of the subject. */
  scopePath?: string;
  action?: Action;
  decision?: Decision;
  reasonCode?: string;
  /** Where a DENY was decided. */
  blockedScope?: string;
  caps?: Caps;
  estimate?: Amount;
  actual?: Amount;
  charged?: Amount;
  released?: Amount;
  /** Every budget the operation checked or changed, shallowest first. */
  scopes: AuditScope[];
  reservationId?: string;
  idempotencyKey?: string;
  dryRun?: boolean;
  traceId?: string;
  /** Who made the call: an API key id (`key:…`) or a process (`process:<host>:<pid>`). */
  actor?: string;
  /** Operation-specific details (an admin change's amount, a template, an API key id). */
  detail?: Record<string, unknown>;
}

/** A stored record: its entry, its place in its tenant's chain and the chain's hashes. */
export interface AuditRecord extends AuditEntry {
  /** Position in the tenant's trail (opaque, increasing): pass as a cursor's tenant position. */
  id: string;
  /** Hash of the tenant's previous record ('' for the first one ever). */
  prevHash: string;
  /** SHA-1 of `prevHash`, a newline and `body`. */
  hash: string;
  /** The exact JSON text the hash covers. */
  body: string;
}

export interface AuditQuery {
  /** One tenant's trail; omitted: every tenant's (and `*`), merged by time. */
  tenant?: string;
  /** Records whose subject scope path or any checked scope starts with this (e.g. `tenant:acme/workflow:support`). */
  scopePrefix?: string;
  /** Records of this run (subject.run). */
  run?: string;
  reservationId?: string;
  decision?: Decision;
  /** action.name */
  actionName?: string;
  operation?: AuditOperation;
  /** Ledger time, inclusive. */
  fromMs?: number;
  /** Ledger time, exclusive. */
  toMs?: number;
  /** Where to go on from: the `cursor` of an earlier page. */
  after?: string;
  /** Most records per page; default 100, at most 1,000. */
  limit?: number;
}

export interface AuditPage {
  records: AuditRecord[];
  /** Pass as `after` for the next page — also when this one was empty (for tailing). */
  cursor: string;
  /** More matching records are there now. */
  hasMore: boolean;
}

export interface AuditVerification {
  tenant: string;
  /** Records checked. */
  checked: number;
  ok: boolean;
  /** The first record that does not follow from the one before it. */
  firstBreak?: { id: string; reason: string };
  /** The last record's hash: keep it elsewhere to detect a rewrite of the whole trail later. */
  headHash?: string;
}

/** Retention of the trail, per tenant; the oldest records go first. */
export interface AuditRetention {
  /** Most records kept per tenant; default 10,000 in memory, 100,000 on Redis. */
  maxRecordsPerTenant?: number;
  /** Records older than this (ledger time) are dropped; default: kept until the count limit. */
  maxAgeMs?: number;
}

/** Read access to a ledger's audit trail (the ledger writes it itself). */
export interface AuditTrail {
  queryAudit(query?: AuditQuery): Promise<AuditPage>;
  /** Check a tenant's hash chain from its oldest kept record; reports the first break. */
  verifyAudit(tenant: string): Promise<AuditVerification>;
}

/** A ledger's own trail also takes the records of changes it does not make (API keys created or revoked). */
export interface AuditWriter {
  appendAudit(
    entry: Pick<AuditEntry, 'tenant' | 'operation'> &
      Partial<Pick<AuditEntry, 'actor' | 'traceId' | 'detail' | 'scopePath'>>,
  ): Promise<AuditRecord>;
}

export const isAuditTrail = (ledger: unknown): ledger is AuditTrail =>
  typeof (ledger as Partial<AuditTrail> | null)?.queryAudit === 'function';

export const isAuditWriter = (ledger: unknown): ledger is AuditWriter =>
  typeof (ledger as Partial<AuditWriter> | null)?.appendAudit === 'function';
