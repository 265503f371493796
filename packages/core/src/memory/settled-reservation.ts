/**
 * A settled reservation as the embedded ledger keeps it (up to 20,000 of
 * them, for an hour by default): its strings and shared parts, its five
 * figures in a slab (figure-slabs.ts), and its detail rendered when read —
 * one object where the detail took six. Only a detail of the shape the
 * ledger itself makes (keys in its order) is kept so; any other stays as it is.
 */

import type { BudgetState } from '../ledger/rules.js';
import type { FinalStatus } from '../ledger/settle.js';
import type { ReservationDetail } from '../protocol/messages.js';
import type { Metadata, OveragePolicy, Unit } from '../protocol/types.js';
import type { FigureSlabs } from './figure-slabs.js';

/** The budgets of a settled reservation: none, it changes no budget again. */
export const SETTLED: BudgetState[] = [];

/** The detail's keys in the ledger's order; optional ones are skipped when absent. */
const KEYS = [
  'reservationId',
  'status',
  'idempotencyKey',
  'subject',
  'action',
  'reserved',
  'createdAtMs',
  'expiresAtMs',
  'scopePath',
  'affectedScopes',
  'metadata',
  'finalizedAtMs',
  'committed',
  'committedMetadata',
];
const OPTIONAL = new Set(['metadata', 'finalizedAtMs', 'committed', 'committedMetadata']);

/** Are `d`'s keys the ledger's, in order, with no value left undefined? */
function isLedgerShaped(d: ReservationDetail): boolean {
  let i = 0;
  for (const k in d) {
    while (i < KEYS.length && k !== KEYS[i] && OPTIONAL.has(KEYS[i] as string)) i++;
    if (k !== KEYS[i++] || (d as unknown as Record<string, unknown>)[k] === undefined) return false;
  }
  for (; i < KEYS.length; i++) if (!OPTIONAL.has(KEYS[i] as string)) return false;
  return true;
}

/** Absent, or exactly `{ unit, amount }` (in that order) in `unit`. */
function isPlainAmount(a: { unit: string; amount: number } | undefined, unit: string): boolean {
  if (a === undefined) return true;
  const keys = Object.keys(a);
  return (
    keys.length === 2 &&
    keys[0] === 'unit' &&
    keys[1] === 'amount' &&
    a.unit === unit &&
    typeof a.amount === 'number'
  );
}

export class SettledReservation {
  readonly budgets = SETTLED;

  constructor(
    readonly reservationId: string,
    readonly status: FinalStatus,
    readonly idempotencyKey: string,
    readonly subject: ReservationDetail['subject'],
    readonly action: ReservationDetail['action'],
    readonly scopePath: string,
    readonly affectedScopes: string[],
    readonly unit: Unit,
    /** reserved, committed (NaN: none), createdAtMs, expiresAtMs, finalizedAtMs (NaN: none). */
    readonly slab: Float64Array,
    readonly at: number,
    readonly metadata: Metadata | undefined,
    readonly committedMetadata: Metadata | undefined,
    readonly gracePeriodMs: number,
    readonly overagePolicy: OveragePolicy,
    readonly extensions: number,
  ) {}

  /** A fresh detail, as it read when the reservation settled. */
  get detail(): ReservationDetail {
    const { slab, at, unit } = this;
    const d: ReservationDetail = {
      reservationId: this.reservationId,
      status: this.status,
      idempotencyKey: this.idempotencyKey,
      subject: this.subject,
      action: this.action,
      reserved: { unit, amount: slab[at] as number },
      createdAtMs: slab[at + 2] as number,
      expiresAtMs: slab[at + 3] as number,
      scopePath: this.scopePath,
      affectedScopes: this.affectedScopes,
    };
    if (this.metadata !== undefined) d.metadata = this.metadata;
    if (!Number.isNaN(slab[at + 4])) d.finalizedAtMs = slab[at + 4] as number;
    if (!Number.isNaN(slab[at + 1])) d.committed = { unit, amount: slab[at + 1] as number };
    if (this.committedMetadata !== undefined) d.committedMetadata = this.committedMetadata;
    return d;
  }
}

/** `rec` settled, kept compact; undefined when its detail is not of the ledger's own shape. */
export function settledReservation(
  rec: { detail: ReservationDetail; gracePeriodMs: number; overagePolicy: OveragePolicy; extensions: number },
  slabs: FigureSlabs,
): SettledReservation | undefined {
  const d = rec.detail;
  const unit = d.reserved.unit;
  if (d.status === 'ACTIVE' || d.idempotencyKey === undefined || !isLedgerShaped(d)) return undefined;
  if (!isPlainAmount(d.reserved, unit) || !isPlainAmount(d.committed, unit)) return undefined;
  const at = slabs.take(5);
  const slab = slabs.slab;
  slab[at] = d.reserved.amount;
  slab[at + 1] = d.committed?.amount ?? Number.NaN;
  slab[at + 2] = d.createdAtMs;
  slab[at + 3] = d.expiresAtMs;
  slab[at + 4] = d.finalizedAtMs ?? Number.NaN;
  const { reservationId, status, idempotencyKey, subject, action, scopePath, affectedScopes } = d;
  return new SettledReservation(
    reservationId,
    status as FinalStatus,
    idempotencyKey,
    subject,
    action,
    scopePath,
    affectedScopes,
    unit,
    slab,
    at,
    d.metadata,
    d.committedMetadata,
    rec.gracePeriodMs,
    rec.overagePolicy,
    rec.extensions,
  );
}

type AnyRecord = { detail: ReservationDetail } | SettledReservation;

/** A kept reservation's status and tenant, without rendering a settled one's detail. */
export const statusOf = (rec: AnyRecord) =>
  rec instanceof SettledReservation ? rec.status : rec.detail.status;
export const tenantOf = (rec: AnyRecord) =>
  rec instanceof SettledReservation ? rec.subject.tenant : rec.detail.subject.tenant;
