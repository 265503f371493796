/**
 * The JSON text of an audit record (what its hash covers) and the entry a
 * reader gets back from it. The budgets an operation touched are most of a
 * record, so in the text each is a row of plain values, not objects:
 * `[scope, unit, status, allocated, spent, reserved, debt]`, then the change
 * of those four figures when there is one (0: unchanged), then the budget's
 * caps when it has some (after a change of four zeros when there is none).
 * `remaining` is allocated − spent − reserved − debt. The rows are written by
 * hand, last in the text (JSON.stringify takes a microsecond a row). A record
 * whose touched budgets are not all of that shape — and every record written
 * before rows — keeps them as objects. Either reads back as the same entry.
 */
import type { Caps } from '../protocol/types.js';
import type { AuditDelta, AuditEntry, AuditScope } from './types.js';

type Row = [
  scope: string,
  unit: AuditScope['unit'],
  status: AuditScope['status'],
  allocated: number,
  spent: number,
  reserved: number,
  debt: number,
  ...changeAndCaps: (number | Caps)[],
];

const KEYS = ['scope', 'unit', 'status', 'allocated', 'spent', 'reserved', 'debt', 'remaining'];
const FIGURES = ['allocated', 'spent', 'reserved', 'debt'] as const;
const FIRST_CHANGE = 7;

const isFigure = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
const isPlainObject = (v: unknown): v is object =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/** The four changes of `delta` (0: unchanged), or undefined when they would not read back as `delta`. */
function changesOf(delta: AuditDelta): number[] | undefined {
  const out = [0, 0, 0, 0];
  let f = 0;
  let n = 0;
  for (const k in delta) {
    while (f < FIGURES.length && FIGURES[f] !== k) f++;
    const v = delta[k as keyof AuditDelta];
    if (f === FIGURES.length || !isFigure(v) || v === 0) return undefined;
    out[f++] = v;
    n++;
  }
  return n > 0 ? out : undefined;
}

/** JSON strings of the scopes, units and statuses rows repeat. */
const quoted = new Map<string, string>();
function quote(text: string): string {
  let q = quoted.get(text);
  if (q === undefined) {
    if (quoted.size >= 4096) quoted.clear();
    q = JSON.stringify(text);
    quoted.set(text, q);
  }
  return q;
}

/** `s` as the JSON text of its row, or undefined when a row would not read back as `s` (as its JSON reads). */
function rowText(s: AuditScope): string | undefined {
  if (!isPlainObject(s)) return undefined;
  let i = 0;
  for (const k in s) {
    const expected = i < KEYS.length ? KEYS[i] : i === KEYS.length && k === 'delta' ? 'delta' : 'caps';
    if (k !== expected) return undefined;
    i += 1;
  }
  const { scope, unit, status, allocated, spent, reserved, debt, remaining, delta, caps } = s;
  if (i < KEYS.length || typeof scope !== 'string' || typeof unit !== 'string' || typeof status !== 'string')
    return undefined;
  if (!isFigure(allocated) || !isFigure(spent) || !isFigure(reserved) || !isFigure(debt)) return undefined;
  if (!Object.is(remaining, allocated - spent - reserved - debt)) return undefined;
  // Finite numbers read the same in a template as in JSON (-0 included: both write 0).
  let text = `[${quote(scope)},${quote(unit)},${quote(status)},${allocated},${spent},${reserved},${debt}`;
  const changes = 'delta' in s ? (isPlainObject(delta) ? changesOf(delta) : undefined) : [0, 0, 0, 0];
  if (!changes) return undefined;
  if ('delta' in s || 'caps' in s) text += `,${changes[0]},${changes[1]},${changes[2]},${changes[3]}`;
  if ('caps' in s) {
    if (!isPlainObject(caps)) return undefined;
    text += `,${JSON.stringify(caps)}`;
  }
  return `${text}]`;
}

function scopeOf(row: Row): AuditScope {
  const [scope, unit, status, allocated, spent, reserved, debt] = row;
  const s: AuditScope = { scope, unit, status, allocated, spent, reserved, debt, remaining: 0 };
  s.remaining = allocated - spent - reserved - debt;
  let delta: AuditDelta | undefined;
  for (let f = 0; f < FIGURES.length && row.length > FIRST_CHANGE; f++) {
    const change = row[FIRST_CHANGE + f] as number;
    if (change === 0) continue;
    delta ??= {};
    delta[FIGURES[f] as keyof AuditDelta] = change;
  }
  if (delta) s.delta = delta;
  const caps = row[FIRST_CHANGE + FIGURES.length];
  if (caps !== undefined) s.caps = caps as Caps;
  return s;
}

/** The JSON text of `entry`: its touched budgets as rows, last, when they all have the ledger's shape. */
export function auditBody(entry: AuditEntry): string {
  const scopes = entry.scopes;
  if (!isPlainObject(entry) || !Array.isArray(scopes)) return JSON.stringify(entry);
  let rows = '';
  for (let i = 0; i < scopes.length; i++) {
    const row = rowText(scopes[i] as AuditScope);
    if (row === undefined) return JSON.stringify(entry);
    rows += i === 0 ? row : `,${row}`;
  }
  // Written without its scopes (an undefined member is left out), then they are added at the end.
  (entry as { scopes?: AuditScope[] }).scopes = undefined;
  let rest: string;
  try {
    rest = JSON.stringify(entry);
  } finally {
    entry.scopes = scopes;
  }
  return rest === '{}' ? `{"scopes":[${rows}]}` : `${rest.slice(0, -1)},"scopes":[${rows}]}`;
}

/** The entry a record's text holds (rows read back as the budgets' objects). */
export function entryOfBody(body: string): AuditEntry {
  const entry = JSON.parse(body) as AuditEntry;
  const scopes = entry.scopes as (AuditScope | Row)[];
  if (!Array.isArray(scopes)) return entry;
  for (let i = 0; i < scopes.length; i++) {
    const s = scopes[i];
    if (Array.isArray(s)) scopes[i] = scopeOf(s);
  }
  return entry;
}
