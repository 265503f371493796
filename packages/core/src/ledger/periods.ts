/**
 * Budget periods, shared by every ledger: a budget (or template) with a
 * `period` starts a new period at each boundary — a fixed duration from the
 * budget's creation (`1h`, `1d`, `30d`) or a calendar day of the month at
 * midnight in a time zone — and its figures roll over by its `rollover`
 * policy. A rollover is lazy: the ledger applies it, by its own clock, at the
 * first operation that touches the budget after the boundary (reads show the
 * new period without recording it). However many boundaries have passed, it
 * rolls over once, from the figures of the period that ended (periods in
 * which nothing happened carry nothing).
 *
 * With A, S, R, D the old allocated, spent, reserved and debt, B the defined
 * allocation and u = max(0, A − S − R − D) the period's unspent remaining:
 * - `none`: the new allocation is B;
 * - `carry_forward`: B + u;
 * - `cap_at_allocated`: B + min(u, B) — what is carried is never more than
 *   the defined allocation.
 * Then spent is 0, debt stays owed, and in-flight reservations carry over
 * with their own money: `reserved` stays R and the allocation grows by R, so
 * the new period starts with its full allocation available (remaining = new
 * allocation − D) and a reservation made in the old period is paid from what
 * it set aside there when it settles (what it does not use is released into
 * the current period; an overage beyond it is charged to the current period).
 */
import type { AuditDraft } from '../audit/entries.js';
import type { BudgetPeriod, BudgetRollover } from '../authority.js';
import { MAX_AMOUNT } from '../protocol/types.js';
import { tenantOfScope } from '../scopes.js';
import { type BudgetState, remainingOf } from './rules.js';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A duration as `every` takes it: a whole number and s, m, h, d or w. */
export const DURATION_PATTERN = /^([1-9][0-9]{0,5})(s|m|h|d|w)$/;

/** The length of a duration period in ms, or undefined for a calendar one. */
export function periodEveryMs(period: BudgetPeriod): number | undefined {
  if (!('every' in period)) return undefined;
  const m = DURATION_PATTERN.exec(period.every);
  if (!m) throw new RangeError(`not a duration: ${period.every}`);
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}

/** Is `timeZone` one Intl knows? */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();
function formatIn(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, f);
  }
  return f;
}

/** The wall-clock fields of `ms` in `timeZone`. */
function wallClock(ms: number, timeZone: string) {
  const parts: Record<string, number> = {};
  for (const p of formatIn(timeZone).formatToParts(ms))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return parts as { year: number; month: number; day: number; hour: number; minute: number; second: number };
}

/** How far `timeZone`'s wall clock is ahead of UTC at `ms`. */
function offsetAt(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant of local midnight of (year, month 1–12, day) in `timeZone` (month may overflow). */
export function zonedMidnight(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day);
  const first = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(first, timeZone);
  // A midnight that does not exist (a DST gap at 00:00) is the first instant after it.
  return Math.max(first, second);
}

/** The start of the period that `ms` falls in, for a period whose previous start is unknown. */
export function firstPeriodStart(period: BudgetPeriod, ms: number): number {
  if ('every' in period) return ms;
  const { day, timeZone } = period.monthly;
  const w = wallClock(ms, timeZone);
  const here = zonedMidnight(w.year, w.month, day, timeZone);
  return here <= ms ? here : zonedMidnight(w.year, w.month - 1, day, timeZone);
}

/** The end of the period that starts at `startMs`. */
export function periodEnd(period: BudgetPeriod, startMs: number): number {
  const every = periodEveryMs(period);
  if (every !== undefined || !('monthly' in period)) return startMs + (every ?? 0);
  const { day, timeZone } = period.monthly;
  // Noon of the start's local day is safely inside its local date, whatever the offset.
  const w = wallClock(startMs + 12 * 3_600_000, timeZone);
  return zonedMidnight(w.year, w.month + 1, day, timeZone);
}

/** The start of the period `now` falls in, from a period that started at `startMs`. */
export function periodStartAt(period: BudgetPeriod, startMs: number, now: number): number {
  const every = periodEveryMs(period);
  if (every !== undefined) return startMs + Math.floor((now - startMs) / every) * every;
  let start = startMs;
  for (let end = periodEnd(period, start); end <= now; end = periodEnd(period, start)) start = end;
  return start;
}

/** The period fields of a new budget from `period` and `rollover`, created at `now`. */
export function newPeriodState(
  allocated: number,
  period: BudgetPeriod | undefined,
  rollover: BudgetRollover | undefined,
  now: number,
): Partial<BudgetState> {
  if (!period) return {};
  const periodStartMs = firstPeriodStart(period, now);
  return {
    period: structuredClone(period),
    rollover: rollover ?? 'none',
    baseAllocated: allocated,
    periodStartMs,
    periodEndMs: periodEnd(period, periodStartMs),
  };
}

/** Roll `b` over in place if its period has ended by `now`; true when it did. */
export function rollBudget(b: BudgetState, now: number): boolean {
  if (!b.period || b.periodEndMs === undefined || now < b.periodEndMs) return false;
  const base = b.baseAllocated ?? b.allocated;
  const unspent = Math.max(0, remainingOf(b));
  const carry =
    b.rollover === 'carry_forward'
      ? unspent
      : b.rollover === 'cap_at_allocated'
        ? Math.min(unspent, base)
        : 0;
  b.allocated = Math.min(base + carry + b.reserved, MAX_AMOUNT - b.overdraftLimit);
  b.spent = 0;
  if (b.debt <= b.overdraftLimit && remainingOf(b) >= 0) b.isOverLimit = false;
  b.periodStartMs = periodStartAt(b.period, b.periodStartMs ?? b.periodEndMs, now);
  b.periodEndMs = periodEnd(b.period, b.periodStartMs);
  return true;
}

/** `b` as it reads at `now`: rolled over on a copy when its period has ended (reads record nothing). */
export function periodView(b: BudgetState, now: number): BudgetState {
  if (!b.period || b.periodEndMs === undefined || now < b.periodEndMs) return b;
  const copy = structuredClone(b);
  rollBudget(copy, now);
  return copy;
}

/** The audit entry of the rollover `b` just had (its new period in `detail`). */
export function rolloverDraft(b: BudgetState): AuditDraft {
  return {
    operation: 'budget.rollover',
    tenant: tenantOfScope(b.scope),
    scopePath: b.scope,
    detail: { rollover: b.rollover, periodStartMs: b.periodStartMs, periodEndMs: b.periodEndMs },
  };
}
