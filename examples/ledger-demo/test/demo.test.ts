import { describe, expect, it } from 'vitest';
import { runDemo, type StepOutcome } from '../src/demo.js';

const committedTotal = (steps: StepOutcome[], unit: string) =>
  steps.reduce((sum, s) => (s.committed?.unit === unit ? sum + s.committed.amount : sum), 0);

describe('ledger demo', () => {
  it('replays the runaway-email incident and leaves a settled ledger', async () => {
    const lines: string[] = [];
    const { ledger, runScope, steps } = await runDemo((line) => lines.push(line));

    const decisions = new Set(steps.map((s) => s.decision));
    expect(decisions).toEqual(new Set(['ALLOW', 'ALLOW_WITH_CAPS', 'DENY']));
    expect(steps.find((s) => s.decision === 'ALLOW_WITH_CAPS')?.caps?.maxTokens).toBe(256);

    const last = steps[steps.length - 1];
    expect(last).toMatchObject({ decision: 'DENY', reasonCode: 'BUDGET_EXCEEDED', blockedScope: runScope });
    expect(steps.filter((s) => s.decision === 'DENY')).toEqual([last]);

    const budgets = await ledger.listBudgets();
    expect(budgets.length).toBeGreaterThan(0);
    for (const b of budgets) expect(b.reserved, `${b.scope} ${b.unit}`).toBe(0);

    for (const unit of ['USD_MICROCENTS', 'RISK_POINTS'] as const) {
      const run = budgets.find((b) => b.scope === runScope && b.unit === unit);
      expect(run?.spent, unit).toBe(committedTotal(steps, unit));
      expect(run?.spent, unit).toBeGreaterThan(0);
    }

    expect(lines.some((l) => l.includes('INVALID_REQUEST'))).toBe(true);
    expect(lines.some((l) => l.startsWith('dry run'))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/rsv_/);
  });
});
