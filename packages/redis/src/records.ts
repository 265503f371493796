/**
 * Decoding what the scripts and hashes hold: a script's outcome, a budget
 * snapshot (the budget hash's fields, in BUDGET_FIELDS order) and a
 * reservation hash.
 */
import type { BudgetStatus, Caps, RateLimit, ReservationDetail, Unit } from '@governor/core';
import { type BudgetState, toBalance } from '@governor/core/ledger';

/** A script's answer: `k` says which kind it is; the other fields depend on it. */
export type Outcome = Record<string, unknown> & { k: string };

/** A budget as the scripts report it: the fields of its hash, as strings. */
export type Snapshot = [
  string,
  Unit,
  BudgetStatus,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  // Rate limits (JSON or ''), then with a period: its JSON, rollover, defined allocation, current period's start and end.
  string?,
  string?,
  string?,
  string?,
  string?,
  string?,
  string?,
];

/** The budget hash's fields, in Snapshot order. */
export const BUDGET_FIELDS = [
  'scope',
  'unit',
  'status',
  'allocated',
  'spent',
  'reserved',
  'debt',
  'overdraftLimit',
  'isOverLimit',
  'caps',
  'isolated',
  'rateLimits',
  'period',
  'rollover',
  'baseAllocated',
  'periodStart',
  'periodEnd',
] as const;

/** JSON arrays that Lua's cjson encoded: an empty table comes out as `{}`. */
export const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

export function stateOf(s: Snapshot): BudgetState {
  const [scope, unit, status, allocated, spent, reserved, debt, od, over, caps, isolated, limits, period] = s;
  const b: BudgetState = {
    scope,
    unit,
    status,
    allocated: Number(allocated),
    spent: Number(spent),
    reserved: Number(reserved),
    debt: Number(debt),
    overdraftLimit: Number(od),
    isOverLimit: over === '1',
    caps: caps ? (JSON.parse(caps) as Caps) : undefined,
  };
  if (isolated === '1') b.isolated = true;
  if (limits) b.rateLimits = JSON.parse(limits) as RateLimit[];
  if (period) {
    b.period = JSON.parse(period) as BudgetState['period'];
    b.rollover = s[13] as BudgetState['rollover'];
    b.baseAllocated = Number(s[14]);
    b.periodStartMs = Number(s[15]);
    // 0: past the boundaries the budget knows (see periods.ts), the period does not end.
    if (Number(s[16]) > 0) b.periodEndMs = Number(s[16]);
  }
  return b;
}

/** The budget from an HMGET of BUDGET_FIELDS, or undefined when there is none. */
export function budgetOfFields(fields: (string | null)[]): BudgetState | undefined {
  if (!fields[0]) return undefined;
  return stateOf(fields.map((x) => x ?? '') as Snapshot);
}

/** The balances of an outcome's snapshots. */
export function balancesOf(snapshots: unknown) {
  return list<Snapshot>(snapshots).map((s) => toBalance(stateOf(s)));
}

/** A reservation from its hash (which has a `detail` field). */
export function detailOf(raw: Record<string, string>): ReservationDetail {
  const base = JSON.parse(raw.detail as string) as ReservationDetail;
  const detail: ReservationDetail = {
    ...base,
    status: raw.status as ReservationDetail['status'],
    createdAtMs: Number(raw.createdAt),
    expiresAtMs: Number(raw.expiresAt),
    affectedScopes: list<string>(JSON.parse(raw.affected as string)),
  };
  if (raw.finalizedAt) detail.finalizedAtMs = Number(raw.finalizedAt);
  if (raw.committed) detail.committed = { unit: raw.unit as Unit, amount: Number(raw.committed) };
  if (raw.committedMetadata) detail.committedMetadata = JSON.parse(raw.committedMetadata);
  return detail;
}
