import { expect } from 'vitest';
import { GovernorError } from '../errors.js';
import type { ErrorCode } from '../protocol/types.js';

/** Awaits `promise`, expecting a GovernorError with `code` (and a message matching `message`). */
export async function expectError(promise: Promise<unknown>, code: ErrorCode, message?: RegExp | string) {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(GovernorError);
  const error = caught as GovernorError;
  expect(error.code).toBe(code);
  if (message !== undefined) expect(error.message).toMatch(message);
  return error;
}
