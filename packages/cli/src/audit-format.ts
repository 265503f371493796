/** Audit records and explanations as terminal text, CSV and JSON lines. */
import type { AuditRecord, Explanation } from '@governor/core';
import { quantity, type Tone, table, toneRows } from './format.js';

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

function amountOf(r: AuditRecord): string {
  const a = r.charged ?? r.released ?? r.estimate;
  if (!a) return '';
  const label = r.charged ? 'charged ' : r.released ? 'released ' : '';
  return `${label}${quantity(a.unit, a.amount)}`;
}

const outcomeOf = (r: AuditRecord) => [r.decision, r.reasonCode].filter((x) => x !== undefined).join(' ');

export const AUDIT_HEADERS = [
  'time',
  'tenant',
  'operation',
  'outcome',
  'scope',
  'action',
  'amount',
  'actor',
  'reservation',
];

export function auditRows(records: AuditRecord[]): string[][] {
  return records.map((r) => [
    when(r.atMs),
    r.tenant,
    r.operation,
    outcomeOf(r),
    r.scopePath ?? '',
    r.action ? `${r.action.kind}/${r.action.name}` : '',
    amountOf(r),
    r.actor ?? '',
    r.reservationId ?? '',
  ]);
}

export const auditTone = (r: AuditRecord): Tone =>
  r.decision === 'DENY' ? 'deny' : r.decision === 'ALLOW_WITH_CAPS' ? 'capped' : undefined;

export function auditTable(records: AuditRecord[], color = false): string[] {
  return toneRows(table(AUDIT_HEADERS, auditRows(records)), records.map(auditTone), color);
}

const CSV_COLUMNS = [
  'tenant',
  'id',
  'atMs',
  'operation',
  'decision',
  'reasonCode',
  'blockedScope',
  'scopePath',
  'actionKind',
  'actionName',
  'unit',
  'estimate',
  'actual',
  'charged',
  'released',
  'reservationId',
  'idempotencyKey',
  'actor',
  'traceId',
  'prevHash',
  'hash',
] as const;

const csvCell = (v: unknown) => {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export const csvHeader = () => CSV_COLUMNS.join(',');

export function csvRow(r: AuditRecord): string {
  const flat: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    tenant: r.tenant,
    id: r.id,
    atMs: r.atMs,
    operation: r.operation,
    decision: r.decision,
    reasonCode: r.reasonCode,
    blockedScope: r.blockedScope,
    scopePath: r.scopePath,
    actionKind: r.action?.kind,
    actionName: r.action?.name,
    unit: (r.estimate ?? r.actual ?? r.charged)?.unit,
    estimate: r.estimate?.amount,
    actual: r.actual?.amount,
    charged: r.charged?.amount,
    released: r.released?.amount,
    reservationId: r.reservationId,
    idempotencyKey: r.idempotencyKey,
    actor: r.actor,
    traceId: r.traceId,
    prevHash: r.prevHash,
    hash: r.hash,
  };
  return CSV_COLUMNS.map((c) => csvCell(flat[c])).join(',');
}

/** `explain` in one screen. */
export function explanationLines(e: Explanation, color = false): string[] {
  const decided = e.records[0];
  const head = `${e.reservationId ?? decided?.id ?? ''}  ${decided?.tenant ?? ''}  ${when(e.decidedAtMs)}`;
  const tone: Tone = e.decision === 'DENY' ? 'deny' : e.decision === 'ALLOW_WITH_CAPS' ? 'capped' : undefined;
  const rule = toneRows(['', '', e.rule], [tone], color)[2] as string;
  const unit = e.scopes[0]?.unit;
  const q = (n: number) => (unit ? quantity(unit as Parameters<typeof quantity>[0], n) : String(n));
  const rows = e.scopes.map((s) => [
    `${s.blocked ? '✗ ' : '  '}${s.scope}`,
    s.status,
    q(s.before.remaining),
    q(s.after.remaining),
    `${s.utilisationPercent}%`,
  ]);
  const lines = [
    head,
    `action     ${decided?.action ? `${decided.action.kind}/${decided.action.name}` : '-'}   estimate ${decided?.estimate ? q(decided.estimate.amount) : '-'}`,
    `decision   ${rule}`,
  ];
  if (e.caps) lines.push(`caps       ${JSON.stringify(e.caps)}`);
  lines.push(
    '',
    ...table(['scope checked', 'status', 'remaining before', 'after', 'used before'], rows, [
      'left',
      'left',
      'right',
      'right',
      'right',
    ]),
  );
  const following = e.records.slice(1);
  if (following.length > 0) {
    lines.push('', 'then:');
    for (const r of following)
      lines.push(`  ${when(r.atMs)}  ${r.operation}  ${amountOf(r)}  by ${r.actor ?? '?'}`);
  }
  return lines;
}
