import {
  ERROR_CODES,
  ERROR_STATUS,
  errorFromCode,
  GovernorError,
  type InvalidRequestError,
  type LimitExceededError,
  NotFoundError,
} from '@governor/core';
import { describe, expect, it } from 'vitest';

describe('errors', () => {
  it('rebuilds a typed error for every protocol code, with its status', () => {
    for (const code of ERROR_CODES) {
      const error = errorFromCode(code, `msg ${code}`, { scope: 'tenant:a' });
      expect(error).toBeInstanceOf(GovernorError);
      expect(error.code).toBe(code);
      expect(error.status).toBe(ERROR_STATUS[code]);
      expect(error.message).toContain(code);
    }
    expect(errorFromCode('NOT_FOUND', 'x')).toBeInstanceOf(NotFoundError);
    expect(
      (errorFromCode('LIMIT_EXCEEDED', 'slow', { retry_after_ms: 1500 }) as LimitExceededError).retryAfterMs,
    ).toBe(1500);
    const invalid = errorFromCode('INVALID_REQUEST', 'a: b', {
      issues: [{ path: 'a', message: 'b' }],
    }) as InvalidRequestError;
    expect(invalid.issues).toEqual([{ path: 'a', message: 'b' }]);
    expect(new NotFoundError('gone').name).toBe('NotFoundError');
  });
});
