/** Text formatting for the CLI: exact amounts and tables sized to their content. */
import type { BudgetInfo, Unit } from '@governor/core';

/** 1 USD in USD_MICROCENTS (`USD` of @governor/core; kept here so help texts load no core). */
const USD = 100_000_000;

/** USD_MICROCENTS as dollars, exactly: at least two decimals, more only when needed. */
export function dollars(microcents: number): string {
  const sign = microcents < 0 ? '-' : '';
  const abs = Math.abs(microcents);
  const whole = Math.floor(abs / USD);
  const fraction = String(abs % USD)
    .padStart(8, '0')
    .replace(/0+$/, '');
  return `${sign}$${whole}.${fraction.padEnd(2, '0')}`;
}

/** A quantity in its natural notation: dollars for USD_MICROCENTS, points for RISK_POINTS. */
export function quantity(unit: Unit, value: number): string {
  if (unit === 'USD_MICROCENTS') return dollars(value);
  if (unit === 'RISK_POINTS') return `${value.toLocaleString('en-US')} pt`;
  return `${value.toLocaleString('en-US')} ${unit === 'TOKENS' ? 'tokens' : 'credits'}`;
}

export type Align = 'left' | 'right';

/** Rows under a header and a rule, each column as wide as its widest cell. */
export function table(headers: string[], rows: string[][], align: Align[] = []): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
}

/** The ledger's figures for one budget, as the balances table and the demo print them. */
export function budgetRows(budgets: BudgetInfo[]): string[][] {
  return budgets.map((b) => [
    b.scope,
    b.unit,
    quantity(b.unit, b.allocated),
    quantity(b.unit, b.spent),
    quantity(b.unit, b.reserved),
    quantity(b.unit, b.remaining),
    b.status + (b.debt > 0 ? ` debt ${quantity(b.unit, b.debt)}` : '') + (b.isOverLimit ? ' over-limit' : ''),
  ]);
}

export const BUDGET_HEADERS = ['scope', 'unit', 'allocated', 'spent', 'reserved', 'remaining', 'status'];
export const BUDGET_ALIGN: Align[] = ['left', 'left', 'right', 'right', 'right', 'right', 'left'];

/** Budgets in tree order (a scope before the scopes under it), then by unit. */
export function sortBudgets(budgets: BudgetInfo[]): BudgetInfo[] {
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return [...budgets].sort((a, b) => cmp(a.scope, b.scope) || cmp(a.unit, b.unit));
}

/** How a row reads at a glance: denied / exhausted (red) or capped (yellow). */
export type Tone = 'deny' | 'capped' | undefined;
const TONE_CODES = { deny: '\x1b[31m', capped: '\x1b[33m' } as const;

/** Colour the data rows of a `table()` (after the header and rule) by their tone; unchanged when `color` is off. */
export function toneRows(lines: string[], tones: Tone[], color: boolean): string[] {
  if (!color) return lines;
  return lines.map((line, i) => {
    const tone = i >= 2 ? tones[i - 2] : undefined;
    return tone ? `${TONE_CODES[tone]}${line}\x1b[0m` : line;
  });
}

/** A budget that denies (spent out, frozen, closed, over its limit) or caps (static caps) what reaches it. */
export function budgetTone(b: BudgetInfo): Tone {
  if (b.status !== 'ACTIVE' || b.remaining <= 0 || b.isOverLimit || b.debt > 0) return 'deny';
  return b.caps ? 'capped' : undefined;
}

/** The balances table, its rows coloured when `color` is on. */
export function budgetTable(budgets: BudgetInfo[], color = false): string[] {
  return toneRows(table(BUDGET_HEADERS, budgetRows(budgets), BUDGET_ALIGN), budgets.map(budgetTone), color);
}
