/** Formatting helpers for the demo's output: amounts, caps and a fixed-width table. */
import { type Amount, type Balance, type Caps, type Unit, USD } from '@governor/core';

/** USD_MICROCENTS as dollars, exactly: at least two decimals, more only when needed. */
export function dollars(microcents: number): string {
  const sign = microcents < 0 ? '-' : '';
  const abs = Math.abs(microcents);
  const whole = Math.floor(abs / USD);
  const fraction = String(abs % USD)
    .padStart(8, '0')
    .replace(/0{1,6}$/, '');
  return `${sign}$${whole}.${fraction.padEnd(2, '0')}`;
}

/** An amount in its natural notation: dollars for USD_MICROCENTS, points for RISK_POINTS. */
export function amountText(amount: Amount | undefined): string {
  if (!amount) return '—';
  return quantity(amount.unit, amount.amount);
}

export function quantity(unit: Unit, value: number): string {
  if (unit === 'USD_MICROCENTS') return dollars(value);
  if (unit === 'RISK_POINTS') return `${value} pt`;
  return `${value} ${unit}`;
}

/** `maxTokens=256 toolDenylist=[send_email]`, or '' for no caps. */
export function capsText(caps: Caps | undefined): string {
  if (!caps) return '';
  return Object.entries(caps)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? `[${value.join(',')}]` : value}`)
    .join(' ');
}

/** The remaining amount of the balance for (scope, unit), or '—' if that budget does not exist (yet). */
export function remainingText(balances: Balance[], scope: string, unit: Unit): string {
  const balance = balances.find((b) => b.scope === scope && b.remaining.unit === unit);
  return balance ? amountText(balance.remaining) : '—';
}

export interface Column {
  title: string;
  /** Cells are padded to this width (a longer cell is kept whole). */
  width: number;
  align?: 'left' | 'right';
}

/** A fixed-width table that prints one row at a time; give the last column width 0 to leave it free. */
export class Table {
  constructor(
    private readonly columns: Column[],
    private readonly log: (line: string) => void,
  ) {}

  header(): void {
    this.row(this.columns.map((c) => c.title));
    this.log(this.columns.map((c) => '─'.repeat(Math.max(c.width, c.title.length))).join('  '));
  }

  row(cells: string[]): void {
    const padded = this.columns.map((c, i) => {
      const cell = cells[i] ?? '';
      return c.align === 'right' ? cell.padStart(c.width) : cell.padEnd(c.width);
    });
    this.log(padded.join('  ').trimEnd());
  }
}
