/**
 * The JSON text of an audit record (what its hash covers) and the entry a
 * reader gets back from it. The budgets an operation touched are most of a
 * record, so in the text each is a row of plain values, not objects:
 * `[scope, unit, status, allocated, spent, reserved, debt]`, then the change
 * of those four figures when there is one (0: unchanged), then the budget's
 * caps when it has some (after a change of four zeros when there is none).
 * `remaining` is allocated − spent − reserved − debt. A record whose touched
 * budgets are not all of that shape — and every record written before rows —
 * keeps them as objects. Either reads back as the same entry.
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

/** `s` as a row, or undefined when a row would not read back as `s` (as its JSON reads). */
function rowOf(s: AuditScope): Row | undefined {
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
  const row: Row = [scope, unit, status, allocated, spent, reserved, debt];
  if ('delta' in s) {
    const changes = isPlainObject(delta) ? changesOf(delta) : undefined;
    if (!changes) return undefined;
    row.push(...changes);
  }
  if ('caps' in s) {
    if (!isPlainObject(caps)) return undefined;
    if (row.length === FIRST_CHANGE) row.push(0, 0, 0, 0);
    row.push(caps);
  }
  return row;
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

/** The JSON text of `entry`: its touched budgets as rows when they all have the ledger's shape. */
export function auditBody(entry: AuditEntry): string {
  const scopes = entry.scopes;
  if (!Array.isArray(scopes)) return JSON.stringify(entry);
  const rows: Row[] = [];
  for (const s of scopes) {
    const row = rowOf(s);
    if (!row) return JSON.stringify(entry);
    rows.push(row);
  }
  // In place, so the text keeps the entry's key order; put back before anyone else sees it.
  (entry as unknown as { scopes: Row[] }).scopes = rows;
  try {
    return JSON.stringify(entry);
  } finally {
    entry.scopes = scopes;
  }
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
