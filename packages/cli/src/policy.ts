import { access, constants } from 'node:fs/promises';
import {
  type GovernorPolicy,
  InvalidRequestError,
  loadPolicyFile,
  parseScope,
  parseUsd,
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

/** An amount in `unit`: a whole number, or dollars ("$2.50") for USD_MICROCENTS. */
export function amountFlag(flag: string, text: string | undefined, unit: Unit): number {
  if (text === undefined) throw new UsageError(`--${flag} is required`);
  if (/^\$|USD$/i.test(text.trim())) {
    if (unit !== 'USD_MICROCENTS')
      throw new UsageError(`--${flag}: dollars only for USD_MICROCENTS, not ${unit}`);
    try {
      return parseUsd(text.trim());
    } catch {
      throw new UsageError(`--${flag}: expected a dollar amount such as "$2.50", got "${text}"`);
    }
  }
  const n = /^\d[\d_]*$/.test(text) ? Number(text.replaceAll('_', '')) : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    throw new UsageError(
      `--${flag}: expected a whole number${unit === 'USD_MICROCENTS' ? ' of USD_MICROCENTS or dollars like "$2.50"' : ''}, got "${text}"`,
    );
  }
  return n;
}
