import { access, constants } from 'node:fs/promises';
import {
  expectedAmount,
  type GovernorPolicy,
  InvalidRequestError,
  loadPolicyFile,
  parseScope,
  parseUsd,
  readAmount,
  UNITS,
  type Unit,
} from '@governor/core';
import { UsageError } from './args.js';

/** Read a budgets/policy file (JSON or YAML); a missing, unreadable or invalid file is a usage error. */
export async function readPolicy(path: string): Promise<GovernorPolicy> {
  if (!/\.(json|ya?ml)$/i.test(path)) throw new UsageError(`${path}: expected a .json, .yaml or .yml file`);
  try {
    await access(path, constants.R_OK);
  } catch {
    throw new UsageError(`${path}: cannot read the file (missing or not readable)`);
  }
  try {
    return await loadPolicyFile(path);
  } catch (error) {
    if (error instanceof InvalidRequestError) throw new UsageError(error.message);
    throw error;
  }
}

export function unitFlag(text: string | undefined): Unit {
  if (text === undefined) throw new UsageError(`--unit is required (one of ${UNITS.join(', ')})`);
  const unit = text.toUpperCase();
  if (!(UNITS as readonly string[]).includes(unit)) {
    throw new UsageError(`--unit: expected one of ${UNITS.join(', ')}, got "${text}"`);
  }
  return unit as Unit;
}

export function scopeFlag(text: string | undefined): string {
  if (text === undefined) throw new UsageError('--scope is required (e.g. tenant:acme/workflow:support)');
  try {
    parseScope(text);
  } catch (error) {
    throw new UsageError(`--scope: ${(error as Error).message.replace(/^scope: /, '')}`);
  }
  return text;
}

/** An amount in `unit`: a whole number, or dollars ("$2.50") for USD_MICROCENTS only. */
export function amountFlag(flag: string, text: string | undefined, unit: Unit): number {
  if (text === undefined) throw new UsageError(`--${flag} is required (${expectedAmount(unit)})`);
  const read = readAmount(text, unit);
  if ('problem' in read) throw new UsageError(`--${flag}: ${read.problem}`);
  return read.amount;
}

/** Dollars ("2", "2.50", "$2.50") as USD_MICROCENTS. */
export function usdFlag(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const normalized = text.startsWith('$') ? text : `$${text}`;
  try {
    const amount = parseUsd(normalized);
    if (amount <= 0) throw new Error('not positive');
    return amount;
  } catch {
    throw new UsageError(`--${flag}: expected a dollar amount such as 2 or 2.50, got "${text}"`);
  }
}
