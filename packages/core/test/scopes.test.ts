import {
  deriveScopes,
  InvalidRequestError,
  parseScope,
  scopeMatches,
  scopePathOf,
  subjectOfScope,
  tenantOfScope,
} from '@governor/core';
import { describe, expect, it } from 'vitest';

describe('scopes', () => {
  it('derives one scope per present level, in canonical order, with gaps skipped', () => {
    expect(deriveScopes({ agent: 'a', tenant: 't', app: 'x' })).toEqual([
      'tenant:t',
      'tenant:t/app:x',
      'tenant:t/app:x/agent:a',
    ]);
    expect(scopePathOf({ tenant: 't', run: '9', toolset: 'email' })).toBe('tenant:t/run:9/toolset:email');
  });

  it('parses canonical ids and refuses malformed ones with the reason', () => {
    expect(parseScope('tenant:acme/workflow:support/run:4821')).toEqual([
      ['tenant', 'acme'],
      ['workflow', 'support'],
      ['run', '4821'],
    ]);
    expect(() => parseScope('tenant:acme/planet:mars')).toThrow(/"planet:mars" must be <level>:<value>/);
    expect(() => parseScope('tenant:acme/agent:a/app:b')).toThrow(/out of canonical order/);
    expect(() => parseScope('tenant:ac me')).toThrow(InvalidRequestError);
    expect(() => parseScope('app:x')).toThrow(/must start with tenant/);
    expect(() => parseScope('tenant:*')).toThrow(/must match/);
    expect(parseScope('tenant:*', { allowWildcard: true })).toEqual([['tenant', '*']]);
  });

  it('matches template patterns level by level', () => {
    const pattern = parseScope('tenant:*/workflow:support/run:*', { allowWildcard: true });
    expect(scopeMatches(pattern, 'tenant:acme/workflow:support/run:1')).toBe(true);
    expect(scopeMatches(pattern, 'tenant:acme/workflow:billing/run:1')).toBe(false);
    expect(scopeMatches(pattern, 'tenant:acme/workflow:support')).toBe(false);
    expect(scopeMatches(pattern, 'tenant:acme/app:x/workflow:support/run:1')).toBe(false);
    expect(scopeMatches(pattern, 'tenant:acme/workflow:support/agent:1')).toBe(false);
  });

  it('maps a scope back to its subject and tenant', () => {
    expect(subjectOfScope('tenant:acme/run:7')).toEqual({ tenant: 'acme', run: '7' });
    expect(tenantOfScope('tenant:acme/run:7')).toBe('acme');
    expect(tenantOfScope('tenant:acme')).toBe('acme');
  });
});
