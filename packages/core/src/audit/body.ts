/**
 * The JSON text of an audit record (what its hash covers) and the entry a
 * reader gets back from it. The budgets an operation touched are most of a
 * record, so in the text each is a row, not an object:
 * `[scope, unit, status, allocated, spent, reserved, debt, delta?, caps?]`
 * (`remaining` is allocated − spent − reserved − debt; delta `null` when only
 * caps follow). A record whose touched budgets are not all of that shape — and
 * every record written before rows — keeps them as objects. Either reads back
 * as the same entry.
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
  delta?: AuditDelta | null,
  caps?: Caps,
];

const KEYS = ['scope', 'unit', 'status', 'allocated', 'spent', 'reserved', 'debt', 'remaining'];

const isFigure = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
/** A plain object (or null): in a row it writes and reads back as it does as a member. */
const isPlainValue = (v: unknown) =>
  v === null || (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype);

/** `s` as a row, or undefined when a row would not read back as `s` (as its JSON reads). */
function rowOf(s: AuditScope): Row | undefined {
  if (!isPlainValue(s) || s === null) return undefined;
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
  if (('delta' in s && (delta === null || !isPlainValue(delta))) || ('caps' in s && !isPlainValue(caps)))
    return undefined;
  const row: Row = [scope, unit, status, allocated, spent, reserved, debt];
  if (caps !== undefined) row.push(delta ?? null, caps);
  else if (delta !== undefined) row.push(delta);
  return row;
}

function scopeOf(row: Row): AuditScope {
  const [scope, unit, status, allocated, spent, reserved, debt, delta, caps] = row;
  const s: AuditScope = { scope, unit, status, allocated, spent, reserved, debt, remaining: 0 };
  s.remaining = allocated - spent - reserved - debt;
  if (delta) s.delta = delta;
  if (caps !== undefined) s.caps = caps;
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
