/**
 * What a webhook receiver is told: the events one audit record produces. A
 * pure function of the record (and a subscription's thresholds), so every
 * instance, every retry and every restart computes the same events with the
 * same ids.
 */
import type { AuditRecord, AuditScope } from '@governor/core';

export const WEBHOOK_EVENT_TYPES = [
  'decision.denied',
  'decision.capped',
  'budget.threshold',
  'budget.exhausted',
  'reservation.expired',
  'debt.incurred',
  'budget.frozen',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Utilisation thresholds (percent) of `budget.threshold` when a subscription names none. */
export const DEFAULT_THRESHOLDS: readonly number[] = [50, 80, 95, 100];

export interface WebhookEvent {
  /** Stable per record, type (and budget, threshold): the receiver's de-duplication key. */
  id: string;
  type: WebhookEventType;
  tenant: string;
  /** Ledger time of the record. */
  occurredAtMs: number;
  data: Record<string, unknown>;
}

interface Figures {
  allocated: number;
  spent: number;
  reserved: number;
  debt: number;
  remaining: number;
}

/** A budget's figures before the operation: after − delta. */
function before(s: AuditScope): Figures {
  const d = s.delta ?? {};
  const allocated = s.allocated - (d.allocated ?? 0);
  const spent = s.spent - (d.spent ?? 0);
  const reserved = s.reserved - (d.reserved ?? 0);
  const debt = s.debt - (d.debt ?? 0);
  return { allocated, spent, reserved, debt, remaining: allocated - spent - reserved - debt };
}

/** Has a budget with these figures reached `atPercent` utilisation? Exact integer arithmetic, as the ledger's tiers. */
function reaches(f: Figures, atPercent: number): boolean {
  if (f.allocated <= 0) return true;
  return (
    BigInt(f.allocated - f.remaining) * 10_000n >= BigInt(Math.round(atPercent * 100)) * BigInt(f.allocated)
  );
}

const percent = (f: Figures) =>
  f.allocated > 0 ? Math.round(((f.allocated - f.remaining) / f.allocated) * 10_000) / 100 : 100;

const defined = (o: Record<string, unknown>) => {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
};

/** The record's fields a receiver acts on. */
function recordData(r: AuditRecord): Record<string, unknown> {
  return defined({
    recordId: r.id,
    operation: r.operation,
    decision: r.decision,
    reasonCode: r.reasonCode,
    blockedScope: r.blockedScope,
    caps: r.caps,
    subject: r.subject,
    scopePath: r.scopePath,
    action: r.action,
    estimate: r.estimate,
    actual: r.actual,
    charged: r.charged,
    released: r.released,
    reservationId: r.reservationId,
    dryRun: r.dryRun,
    actor: r.actor,
    traceId: r.traceId,
  });
}

function scopeData(s: AuditScope, b: Figures): Record<string, unknown> {
  return {
    scope: s.scope,
    unit: s.unit,
    status: s.status,
    before: b,
    after: {
      allocated: s.allocated,
      spent: s.spent,
      reserved: s.reserved,
      debt: s.debt,
      remaining: s.remaining,
    },
    utilisationPercentBefore: percent(b),
    utilisationPercentAfter: percent(s),
  };
}

/**
 * The events `record` produces, in a fixed order. `thresholds` (percent) are
 * the subscription's for `budget.threshold`: one event per budget and
 * threshold crossed upwards (before < t ≤ after), so a budget that stays above
 * a threshold fires it once, and again only after it went back below.
 */
export function eventsOfRecord(
  record: AuditRecord,
  thresholds: readonly number[] = DEFAULT_THRESHOLDS,
): WebhookEvent[] {
  if (record.tenant === '*') return [];
  const events: WebhookEvent[] = [];
  const base = recordData(record);
  const add = (type: WebhookEventType, data: Record<string, unknown>, key = '') =>
    events.push({
      id: `${record.tenant}:${record.id}:${type}${key}`,
      type,
      tenant: record.tenant,
      occurredAtMs: record.atMs,
      data: { ...base, ...data },
    });

  if (record.decision === 'DENY') add('decision.denied', {});
  if (record.decision === 'ALLOW_WITH_CAPS') add('decision.capped', {});
  if (record.operation === 'expire') add('reservation.expired', {});
  if (record.operation === 'budget.freeze') add('budget.frozen', {});

  const sorted = [...thresholds].sort((a, b) => a - b);
  for (const s of record.scopes) {
    if (!s.delta) continue;
    const b = before(s);
    const key = `:${s.scope}:${s.unit}`;
    for (const t of sorted) {
      if (!reaches(b, t) && reaches(s, t))
        add('budget.threshold', { ...scopeData(s, b), thresholdPercent: t }, `${key}:${t}`);
    }
    if (b.remaining > 0 && s.remaining <= 0) add('budget.exhausted', scopeData(s, b), key);
    if ((s.delta.debt ?? 0) > 0)
      add('debt.incurred', { ...scopeData(s, b), debtIncurred: s.delta.debt }, key);
  }
  return events;
}
