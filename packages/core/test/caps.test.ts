import { isEmptyCaps, isToolAllowed, mergeCaps } from '@governor/core';
import { describe, expect, it } from 'vitest';

describe('caps', () => {
  it('merges to the tighter of each constraint', () => {
    expect(
      mergeCaps({ maxTokens: 500, cooldownMs: 10 }, { maxTokens: 200, maxStepsRemaining: 3, cooldownMs: 50 }),
    ).toEqual({
      maxTokens: 200,
      maxStepsRemaining: 3,
      cooldownMs: 50,
    });
    expect(
      mergeCaps({ toolAllowlist: ['a', 'b', 'c'] }, { toolAllowlist: ['b', 'c'], toolDenylist: ['c'] }),
    ).toEqual({
      toolAllowlist: ['b'],
      toolDenylist: ['c'],
    });
    expect(mergeCaps({ toolDenylist: ['x'] }, { toolDenylist: ['y', 'x'] })).toEqual({
      toolDenylist: ['x', 'y'],
    });
  });

  it('turns disjoint allowlists into a denylist of both, since an empty allowlist means "no restriction"', () => {
    expect(mergeCaps({ toolAllowlist: ['a'] }, { toolAllowlist: ['b'] })).toEqual({
      toolDenylist: ['a', 'b'],
    });
  });

  it('treats absent and empty caps alike', () => {
    expect(mergeCaps(undefined, undefined)).toBeUndefined();
    expect(mergeCaps({}, { toolAllowlist: [] })).toBeUndefined();
    expect(isEmptyCaps({ toolDenylist: [] })).toBe(true);
    expect(isEmptyCaps({ maxTokens: 0 })).toBe(false);
  });

  it('applies the protocol precedence: a non-empty allowlist wins over the denylist', () => {
    expect(isToolAllowed({ toolAllowlist: ['a'], toolDenylist: ['a'] }, 'a')).toBe(true);
    expect(isToolAllowed({ toolAllowlist: ['a'] }, 'b')).toBe(false);
    expect(isToolAllowed({ toolDenylist: ['b'] }, 'b')).toBe(false);
    expect(isToolAllowed(undefined, 'b')).toBe(true);
  });
});
