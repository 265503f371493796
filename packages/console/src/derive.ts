/** Views computed from audit records alone: spend over time, runs, live reservations. */
import type { AuditRecord, BudgetInfo } from './types.js';

/** The amount an operation moved: charged (commit, event), released, else the estimate (reserve, decide). */
export function amountOf(r: AuditRecord): { unit: string; amount: number } | undefined {
  return r.charged ?? r.released ?? r.estimate;
}

/** The units anything was charged in, USD first. */
export function chargedUnits(records: AuditRecord[]): string[] {
  const units = new Set(records.flatMap((r) => (r.charged ? [r.charged.unit] : [])));
  return [...units].sort((a, b) =>
    a === 'USD_MICROCENTS' ? -1 : b === 'USD_MICROCENTS' ? 1 : a < b ? -1 : 1,
  );
}

/** Cumulative spend in `unit` over ledger time, one point per charge: [seconds[], totals[]] for uPlot. */
export function spendSeries(records: AuditRecord[], unit: string): [number[], number[]] {
  const xs: number[] = [];
  const ys: number[] = [];
  let total = 0;
  const charges = records.filter((r) => r.charged?.unit === unit).sort((a, b) => a.atMs - b.atMs);
  for (const r of charges) {
    total += r.charged?.amount ?? 0;
    const x = r.atMs / 1000;
    if (xs.at(-1) === x) ys[ys.length - 1] = total;
    else {
      xs.push(x);
      ys.push(total);
    }
  }
  return [xs, ys];
}

export interface Denial {
  atMs: number;
  action: string;
  reasonCode: string;
  blockedScope?: string;
  reservationId?: string;
}

export interface RunView {
  tenant: string;
  run: string;
  calls: number;
  /** Charged per unit. */
  spent: Record<string, number>;
  denials: Denial[];
  lastAtMs: number;
}

/** Every run (subject.run) seen, the most recent first. */
export function runsOf(records: AuditRecord[]): RunView[] {
  const runs = new Map<string, RunView>();
  for (const r of records) {
    const run = r.subject?.run;
    if (run === undefined) continue;
    const key = `${r.tenant}\n${run}`;
    let view = runs.get(key);
    if (!view) {
      view = { tenant: r.tenant, run, calls: 0, spent: {}, denials: [], lastAtMs: r.atMs };
      runs.set(key, view);
    }
    view.lastAtMs = Math.max(view.lastAtMs, r.atMs);
    if (r.operation === 'reserve' || r.operation === 'decide') view.calls += 1;
    if (r.charged) view.spent[r.charged.unit] = (view.spent[r.charged.unit] ?? 0) + r.charged.amount;
    if (r.decision === 'DENY') {
      view.denials.push({
        atMs: r.atMs,
        action: r.action?.name ?? r.operation,
        reasonCode: r.reasonCode ?? 'DENIED',
        ...(r.blockedScope ? { blockedScope: r.blockedScope } : {}),
        ...(r.reservationId ? { reservationId: r.reservationId } : {}),
      });
    }
  }
  return [...runs.values()].sort((a, b) => b.lastAtMs - a.lastAtMs);
}

const SETTLED = new Set(['commit', 'release', 'expire']);

/** Reservations granted and not (yet) committed, released or expired, as far as the records tell. */
export function openReservations(records: AuditRecord[]): AuditRecord[] {
  const open = new Map<string, AuditRecord>();
  for (const r of records) {
    if (!r.reservationId) continue;
    if (r.operation === 'reserve' && r.decision !== 'DENY' && !r.dryRun) open.set(r.reservationId, r);
    else if (SETTLED.has(r.operation)) open.delete(r.reservationId);
  }
  return [...open.values()];
}

/** Share of the allocation in use (spent, reserved, debt), 0..1; 1 when nothing is allocated. */
export function utilisation(b: Pick<BudgetInfo, 'allocated' | 'remaining'>): number {
  if (b.allocated <= 0) return 1;
  return Math.min(1, Math.max(0, (b.allocated - b.remaining) / b.allocated));
}

export interface TenantFigures {
  decisions: number;
  denials: number;
  capped: number;
  /** Charged in USD_MICROCENTS. */
  spentUsd: number;
}

/** Per tenant: decisions, denials and capped answers, and the dollars charged, in the records held. */
export function tenantFigures(records: AuditRecord[]): Map<string, TenantFigures> {
  const out = new Map<string, TenantFigures>();
  for (const r of records) {
    const f = out.get(r.tenant) ?? { decisions: 0, denials: 0, capped: 0, spentUsd: 0 };
    if (r.decision) f.decisions += 1;
    if (r.decision === 'DENY') f.denials += 1;
    if (r.decision === 'ALLOW_WITH_CAPS') f.capped += 1;
    if (r.charged?.unit === 'USD_MICROCENTS') f.spentUsd += r.charged.amount;
    out.set(r.tenant, f);
  }
  return out;
}
