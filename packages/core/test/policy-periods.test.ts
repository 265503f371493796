import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPolicy, loadPolicyFile, ManualClock, MemoryAuthority, parsePolicy } from '@governor/core';
import { describe, expect, it } from 'vitest';

const YAML = `
budgets:
  - { scope: "tenant:acme", unit: USD_MICROCENTS, allocated: "$100", period: { monthly: 1, timeZone: Europe/Paris }, rollover: carry_forward }
  - { scope: "tenant:acme", unit: RISK_POINTS, allocated: 200, period: 1d }
templates:
  - { match: "tenant:*/workflow:support/run:*", unit: USD_MICROCENTS, allocated: "$2", period: 1h, rollover: cap_at_allocated }
`;

describe('policy files: periods and rollover', () => {
  it('reads `period: 1d`, `period: { monthly: N, timeZone }` and `rollover`, and provisions them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'governor-periods-'));
    const path = join(dir, 'policy.yaml');
    await writeFile(path, YAML);
    const policy = await loadPolicyFile(path);
    expect(policy.budgets?.[0]).toMatchObject({
      period: { monthly: { day: 1, timeZone: 'Europe/Paris' } },
      rollover: 'carry_forward',
    });
    expect(policy.budgets?.[1]).toMatchObject({ period: { every: '1d' } });
    expect(policy.templates?.[0]).toMatchObject({ period: { every: '1h' }, rollover: 'cap_at_allocated' });
    const ledger = new MemoryAuthority({ clock: new ManualClock(Date.UTC(2026, 6, 10)) });
    await applyPolicy(ledger, policy);
    expect(await ledger.getBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS' })).toMatchObject({
      rollover: 'carry_forward',
      periodStartMs: Date.UTC(2026, 5, 30, 22), // 1 July, midnight in Paris (summer time)
      periodEndMs: Date.UTC(2026, 6, 31, 22),
    });
    // Applying again changes nothing: the templates compare equal with their periods.
    expect((await applyPolicy(ledger, policy)).templatesAdded).toEqual([]);
  });

  it('names the mistake: a bad duration, a bad time zone, a day past 28, a rollover without a period', () => {
    const budget = (extra: object) => ({
      budgets: [{ scope: 'tenant:a', unit: 'TOKENS', allocated: 1, ...extra }],
    });
    expect(() => parsePolicy(budget({ period: 'monthly' }))).toThrow(/budgets\[0\]\.period.*duration/);
    expect(() => parsePolicy(budget({ period: { monthly: 1, timeZone: 'Nowhere/Land' } }))).toThrow(/period/);
    expect(() => parsePolicy(budget({ period: { monthly: 29, timeZone: 'UTC' } }))).toThrow(/period/);
    expect(() => parsePolicy(budget({ rollover: 'carry_forward' }))).toThrow(/rollover.*needs a period/);
    expect(() => parsePolicy(budget({ period: '1d', rollover: 'sometimes' }))).toThrow(/rollover/);
  });
});
