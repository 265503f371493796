import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyPolicy,
  loadPolicyFile,
  MemoryAuthority,
  parsePolicy,
  parseUsd,
  riskPointsFor,
  USD,
} from '@governor/core';
import { describe, expect, it } from 'vitest';

const YAML_POLICY = `
budgets:
  - { scope: "tenant:acme", unit: USD_MICROCENTS, allocated: "$50" }
  - { scope: "tenant:acme", unit: RISK_POINTS, allocated: 1000 }
templates:
  - { match: "tenant:*/workflow:support/run:*", unit: USD_MICROCENTS, allocated: "2 USD" }
  - { match: "tenant:*/workflow:support/run:*", unit: RISK_POINTS, allocated: 200 }
degradation:
  tiers:
    - { atPercent: 80, caps: { maxTokens: 512 } }
    - { atPercent: 95, caps: { toolDenylist: [send_email] } }
riskPoints:
  default: 0
  rules:
    - { name: send_email, points: 1 }
    - { name: "refund.*", points: 25 }
    - { kind: deploy.service, points: 100 }
`;

describe('policy', () => {
  it('converts dollar strings exactly', () => {
    expect(parseUsd('$2')).toBe(2 * USD);
    expect(parseUsd('0.25 USD')).toBe(25_000_000);
    expect(parseUsd('$0.00000001')).toBe(1);
    expect(parseUsd('12.3456789')).toBe(1_234_567_890);
    expect(() => parseUsd('$1.2.3')).toThrow(/not a dollar amount/);
    expect(() => parseUsd('-5')).toThrow(/not a dollar amount/);
    expect(() =>
      parsePolicy({ budgets: [{ scope: 'tenant:a', unit: 'USD_MICROCENTS', allocated: '$100000000' }] }),
    ).toThrow('budgets[0].allocated: must be at most 9007199254740991 USD_MICROCENTS');
  });

  it('loads a YAML policy and provisions a ledger from it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'governor-policy-'));
    const path = join(dir, 'policy.yaml');
    await writeFile(path, YAML_POLICY);
    const policy = await loadPolicyFile(path);
    expect(policy.budgets?.[0]?.allocated).toBe(50 * USD);
    const ledger = new MemoryAuthority();
    await applyPolicy(ledger, policy);
    await applyPolicy(ledger, policy);
    expect(await ledger.listBudgets()).toHaveLength(2);
    const r = await ledger.reserve({
      idempotencyKey: 'k1',
      subject: { tenant: 'acme', workflow: 'support', run: '1' },
      action: { kind: 'tool.call', name: 'send_email' },
      estimate: {
        unit: 'RISK_POINTS',
        amount: riskPointsFor(policy.riskPoints, { kind: 'tool.call', name: 'send_email' }) ?? 0,
      },
    });
    expect(r.affectedScopes).toEqual(['tenant:acme', 'tenant:acme/workflow:support/run:1']);
    expect((await ledger.getDegradationPolicy())?.tiers).toHaveLength(2);
  });

  it('names the file and the field when a policy is invalid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'governor-policy-'));
    const path = join(dir, 'bad.json');
    await writeFile(path, JSON.stringify({ budgets: [{ scope: 'tenant:a', unit: 'EUR', allocated: '$1' }] }));
    await expect(loadPolicyFile(path)).rejects.toThrow(
      `${path}: budgets[0].unit: must be one of USD_MICROCENTS`,
    );
    await writeFile(path, '{ nope');
    await expect(loadPolicyFile(path)).rejects.toThrow(/not valid JSON/);
    expect(() => parsePolicy({ degradation: { tiers: [{ atPercent: 120, caps: {} }] } })).toThrow(
      'degradation.tiers[0].atPercent: must be more than 0 and at most 100',
    );
    expect(() =>
      parsePolicy({ budgets: [{ scope: 'tenant:a', unit: 'USD_MICROCENTS', allocated: '2 euros' }] }),
    ).toThrow(/allocated/);
  });

  it('finds risk points by tool name first, then kind, then the default', () => {
    const { riskPoints } = parsePolicy({
      riskPoints: {
        default: 2,
        rules: [
          { kind: 'message.email', points: 1 },
          { name: 'refund.*', points: 25 },
          { name: 'deploy_service', points: 100 },
        ],
      },
    });
    expect(riskPointsFor(riskPoints, { kind: 'tool.call', name: 'deploy_service' })).toBe(100);
    expect(riskPointsFor(riskPoints, { kind: 'tool.call', name: 'refund.issue' })).toBe(25);
    expect(riskPointsFor(riskPoints, { kind: 'message.email', name: 'send_email' })).toBe(1);
    expect(riskPointsFor(riskPoints, { kind: 'tool.call', name: 'search' })).toBe(2);
    expect(
      riskPointsFor(riskPoints, { kind: 'tool.call', name: 'search' }, { withDefault: false }),
    ).toBeUndefined();
    expect(
      riskPointsFor(riskPoints, { kind: 'tool.call', name: 'refund.issue' }, { withDefault: false }),
    ).toBe(25);
    expect(riskPointsFor(undefined, { kind: 'tool.call', name: 'search' })).toBeUndefined();
  });
});
