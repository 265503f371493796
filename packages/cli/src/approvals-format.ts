/** Approvals as terminal text: a table of many, the fields of one. */
import type { Approval } from '@governor/core';
import { quantity, type Tone, table, toneRows } from './format.js';

const when = (ms: number | undefined) =>
  ms === undefined
    ? ''
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, '');

export const APPROVAL_HEADERS = [
  'approval',
  'tenant',
  'status',
  'scope',
  'action',
  'estimate',
  'reason',
  'expires',
];

const approvalTone = (a: Approval): Tone =>
  a.status === 'PENDING' ? 'capped' : a.status === 'REJECTED' ? 'deny' : undefined;

export function approvalTable(approvals: Approval[], color = false): string[] {
  const rows = approvals.map((a) => [
    a.approvalId,
    a.tenant,
    a.status,
    a.scopePath,
    `${a.action.kind}/${a.action.name}`,
    quantity(a.estimate.unit, a.estimate.amount),
    a.reasonCode + (a.blockedScope ? ` at ${a.blockedScope}` : ''),
    a.status === 'PENDING' || a.status === 'APPROVED' ? when(a.expiresAtMs) : '',
  ]);
  return toneRows(table(APPROVAL_HEADERS, rows), approvals.map(approvalTone), color);
}

/** One approval, a field a line. */
export function approvalLines(a: Approval): string[] {
  const fields: Array<[string, string | undefined]> = [
    ['approval', a.approvalId],
    ['status', a.status],
    ['tenant', a.tenant],
    ['key', a.key],
    ['scope', a.scopePath],
    ['action', `${a.action.kind}/${a.action.name}`],
    ['estimate', quantity(a.estimate.unit, a.estimate.amount)],
    ['denied for', a.reasonCode + (a.blockedScope ? ` at ${a.blockedScope}` : '')],
    ['asked', when(a.createdAtMs)],
    ['expires', a.status === 'PENDING' || a.status === 'APPROVED' ? when(a.expiresAtMs) : undefined],
    ['decided', a.decidedAtMs === undefined ? undefined : `${when(a.decidedAtMs)} by ${a.decidedBy ?? '?'}`],
    ['note', a.note],
    ['used', a.usedAtMs === undefined ? undefined : `${when(a.usedAtMs)} by ${a.reservationId ?? '?'}`],
  ];
  const shown = fields.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '');
  const width = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
}
