/** What `governor watch` prints: one line per record, and the screen of a terminal. */
import type { AuditRecord } from '@governor/core';
import { quantity, type Tone } from '../format.js';

const CODES = { deny: '\x1b[31m', capped: '\x1b[33m' } as const;

export function recordTone(r: AuditRecord): Tone {
  if (r.decision === 'DENY') return 'deny';
  return r.decision === 'ALLOW_WITH_CAPS' ? 'capped' : undefined;
}

const time = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** `12:03:27  DENY             reserve  gpt-4o-mini  tenant:acme/…  $0.50  BUDGET_EXCEEDED`, coloured when asked. */
export function recordLine(r: AuditRecord, color = false): string {
  const moved = r.charged ?? r.released ?? r.estimate;
  const cells = [
    time(r.atMs),
    (r.decision ?? '').padEnd(15),
    r.operation.padEnd(7),
    r.action?.name ?? '',
    r.scopePath ?? r.tenant,
    moved ? quantity(moved.unit, moved.amount) : '',
    r.reasonCode ?? '',
    r.caps?.maxTokens !== undefined ? `max_tokens ${r.caps.maxTokens}` : '',
  ];
  const line = cells.filter((c, i) => i < 3 || c !== '').join('  ');
  const tone = recordTone(r);
  return color && tone ? `${CODES[tone]}${line}\x1b[0m` : line;
}

/** A whole terminal screen: clear, then the header, the balances and the latest records. */
export function screen(header: string, balances: string[], lines: string[]): string {
  return ['\x1b[H\x1b[2J', header, '', ...balances, '', 'Decisions (newest last):', ...lines].join('\n');
}
