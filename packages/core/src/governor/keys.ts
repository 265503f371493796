import { createHash, randomUUID } from 'node:crypto';
import { InvalidRequestError } from '../errors.js';

/** The protocol's longest idempotency key. */
export const MAX_KEY_LENGTH = 256;

/** A fresh key for one logical attempt. */
export const newAttemptKey = (): string => `gov_${randomUUID()}`;

/** A caller's key: 1–256 characters (every key derived from it fits, see `derivedKey`). */
export function checkCallerKey(key: unknown, path = 'idempotencyKey'): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new InvalidRequestError([
      { path, message: `must be a string of 1 to ${MAX_KEY_LENGTH} characters, got ${describe(key)}` },
    ]);
  }
  return key;
}

/**
 * The key of one step of an attempt (`…:commit`, `…:release`, `…:extend:3`):
 * the base and the suffix when that fits in 256 characters, else a SHA-256 of
 * the base with the suffix — stable, so retries and replays use the same key.
 */
export function derivedKey(base: string, suffix: string): string {
  const plain = `${base}:${suffix}`;
  if (plain.length <= MAX_KEY_LENGTH) return plain;
  return `gov_h_${createHash('sha256').update(base).digest('hex')}:${suffix}`;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `${value.length} characters`;
  return value === null ? 'null' : typeof value;
}
