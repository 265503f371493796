/**
 * Budget periods on Redis: the period argument the scripts take to start a
 * budget's period (period.lua), and budgets as reads show them. Lua has no
 * time zones, so a calendar period's boundaries are computed here, ahead.
 */
import type { BudgetPeriod, BudgetRollover } from '@governor/core';
import {
  type BudgetState,
  firstPeriodStart,
  periodEnd,
  periodEveryMs,
  periodView,
} from '@governor/core/ledger';
import type { RedisCalls } from './redis-calls.js';

/** How many boundaries of a calendar period a budget knows ahead: ten years of months. */
export const CALENDAR_HORIZON = 120;

const bounds = new Map<string, string>();

/** The boundaries of a calendar period from the start of the one `now` falls in, comma-separated. */
function calendarBounds(period: BudgetPeriod, now: number): string {
  const start = firstPeriodStart(period, now);
  const key = `${JSON.stringify(period)}|${start}`;
  let out = bounds.get(key);
  if (out === undefined) {
    const list = [start];
    for (let i = 0; i < CALENDAR_HORIZON; i++) list.push(periodEnd(period, list[i] as number));
    out = list.join(',');
    if (bounds.size > 1000) bounds.clear();
    bounds.set(key, out);
  }
  return out;
}

/** The scripts' period argument ("rollover\teveryMs\tperiodJson\tbounds"), '' without a period. */
export function periodArg(
  schedule: { period?: BudgetPeriod | undefined; rollover?: BudgetRollover | undefined },
  now: number,
): string {
  const { period } = schedule;
  if (!period) return '';
  const every = periodEveryMs(period);
  const calendar = every === undefined ? calendarBounds(period, now) : '';
  return `${schedule.rollover ?? 'none'}\t${every ?? 0}\t${JSON.stringify(period)}\t${calendar}`;
}

/** A script's clock argument as a time: the test clock, or ('' = Redis TIME) this machine's clock. */
export const msOf = (clock: string): number => (clock === '' ? Date.now() : Number(clock));

/** The ledger's time as TypeScript sees it. */
export async function clockMs(calls: RedisCalls): Promise<number> {
  return msOf(await calls.now());
}

/** Budgets as they read now: one whose period has ended shows the next (the rollover is recorded by the next operation). */
export function periodViews(budgets: BudgetState[], now: number): BudgetState[] {
  return budgets.map((b) => periodView(b, now));
}
