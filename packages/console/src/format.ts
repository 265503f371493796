/** Amounts and times as the console shows them. */
import type { Unit } from './types.js';

/** 1 USD in USD_MICROCENTS. */
export const USD = 100_000_000;

const SUFFIX: Record<Unit, string> = { USD_MICROCENTS: '', TOKENS: 'tok', CREDITS: 'cr', RISK_POINTS: 'pt' };

/** `$0.60`, `$0.0123` for USD_MICROCENTS (two decimals, up to six when needed), `1,200 tok` / `25 pt` for the others. */
export function amount(unit: Unit | string, value: number): string {
  if (unit === 'USD_MICROCENTS') {
    const abs = Math.abs(value);
    const cents = String(abs % USD)
      .padStart(8, '0')
      .slice(0, 6)
      .replace(/0+$/, '');
    return `${value < 0 ? '-' : ''}$${Math.floor(abs / USD).toLocaleString('en-US')}.${cents.padEnd(2, '0')}`;
  }
  return `${value.toLocaleString('en-US')} ${SUFFIX[unit as Unit] ?? unit}`;
}

/**
 * What an operator typed, in the unit's notation, as the ledger's integer:
 * dollars for USD_MICROCENTS (`2.50` → 250,000,000), whole numbers otherwise.
 * Undefined when it is not one.
 */
export function parseAmount(unit: Unit | string, text: string): number | undefined {
  const t = text.trim().replace(/^\$/, '').replaceAll(',', '');
  if (unit === 'USD_MICROCENTS') {
    const m = /^(\d+)(?:\.(\d{0,8}))?$/.exec(t);
    if (!m) return undefined;
    const value = Number(m[1]) * USD + Number((m[2] ?? '').padEnd(8, '0'));
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  }
  if (!/^\d+$/.test(t)) return undefined;
  const value = Number(t);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** Local wall time, `14:03:27`. */
export const clock = (ms: number) => new Date(ms).toLocaleTimeString('en-GB', { hour12: false });

/** The short label of a scope: its last level (`run:4821`), or the whole id when it has one level. */
export const leaf = (scope: string) => scope.slice(scope.lastIndexOf('/') + 1);
