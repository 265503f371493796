import { applyPolicy, argsHash, createGovernor, MemoryAuthority, parsePolicy } from '@governor/core';
import { describe, expect, it } from 'vitest';

const run = 'tenant:*/workflow:support/run:*';

describe('policy file: rate limits and the loop breaker', () => {
  it('reads rateLimits on budgets and templates, and the loop breaker, into the ledger', async () => {
    const policy = parsePolicy({
      templates: [
        {
          match: run,
          unit: 'RISK_POINTS',
          allocated: 200,
          rateLimits: [{ action: 'send_email', maxCalls: 10, windowMs: 60_000 }],
        },
      ],
      budgets: [
        {
          scope: 'tenant:acme',
          unit: 'TOKENS',
          allocated: 1_000_000,
          rateLimits: [{ kind: 'llm.completion', maxAmount: 50_000, windowMs: 60_000 }],
        },
      ],
      loopBreaker: { threshold: 3, windowMs: 120_000 },
    });
    expect(policy.loopBreaker).toEqual({ threshold: 3, windowMs: 120_000 });
    const ledger = new MemoryAuthority();
    await applyPolicy(ledger, policy);
    expect(await ledger.getBudget({ scope: 'tenant:acme', unit: 'TOKENS' })).toMatchObject({
      rateLimits: [{ kind: 'llm.completion', maxAmount: 50_000, windowMs: 60_000 }],
    });
    expect((await ledger.listTemplates())[0]?.rateLimits).toEqual([
      { action: 'send_email', maxCalls: 10, windowMs: 60_000 },
    ]);
    const governor = createGovernor({
      authority: ledger,
      subject: { tenant: 'acme' },
      ...(policy.loopBreaker !== undefined ? { loopBreaker: policy.loopBreaker } : {}),
    });
    expect(governor.loopBreaker).toEqual({ threshold: 3, windowMs: 120_000 });
    expect(createGovernor({ authority: ledger, subject: { tenant: 'acme' } }).loopBreaker).toEqual({
      threshold: 5,
      windowMs: 600_000,
    });
  });

  it('names what is wrong with a limit', () => {
    const bad = (rateLimits: unknown) => () =>
      parsePolicy({ budgets: [{ scope: 'tenant:acme', unit: 'CREDITS', allocated: 1, rateLimits }] });
    expect(bad([{ windowMs: 1_000 }])).toThrow(/needs maxCalls or maxAmount/);
    expect(bad([{ maxCalls: 0, windowMs: 1_000 }])).toThrow(/maxCalls/);
    expect(() => parsePolicy({ loopBreaker: { threshold: 1, windowMs: 1 } })).toThrow(/threshold/);
  });

  it('argsHash is stable under key order and differs for other arguments', () => {
    expect(argsHash({ a: 1, b: [1, 2] })).toBe(argsHash({ b: [1, 2], a: 1 }));
    expect(argsHash({ a: 1 })).not.toBe(argsHash({ a: 2 }));
    expect(argsHash({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });
});
