import { createPricing } from '@governor/core';
import { describe, expect, it } from 'vitest';
import { ANSWER_USAGE, STEP_USAGE } from '../src/demo/model.js';
import { bufferIo, type DemoReport, main, runDemo, VIAS } from '../src/index.js';

const RUN = 'tenant:acme/workflow:support/run:4821';
const budgetOf = (r: DemoReport, scope: string, unit: string) => {
  const b = r.governed.ledger.find((x) => x.scope === scope && x.unit === unit);
  if (!b) throw new Error(`no budget ${scope} ${unit}`);
  return b;
};
const outcome = (r: DemoReport, name: string) => {
  const o = r.governed.outcomes.find((x) => x.outcome === name);
  if (!o) throw new Error(`no outcome ${name}`);
  return o;
};

// The same scenario, the same figures, whichever framework the agent is built with.
describe.each(VIAS)('governor demo --via %s (embedded ledger)', async (via) => {
  const io = bufferIo();
  const report = await runDemo({ via }, io);

  it('says how the agent was built', () => {
    expect(report.via).toBe(via);
  });

  it('ungoverned, the stuck agent sends every email, every refund and deploys', () => {
    expect(report.ungoverned.executed).toEqual({ send_email: 400, 'refund.issue': 8, deploy_service: 1 });
    expect(report.ungoverned.modelCalls).toBe(401);
  });

  it('governed, it sends exactly the run’s email RISK_POINTS and stops at email #201', () => {
    expect(report.governed.executed).toEqual({ send_email: 200, 'refund.issue': 4, deploy_service: 0 });
    expect(report.governed.lastDenial).toMatchObject({
      by: 'reserve',
      action: 'send_email',
      attempt: 201,
      reasonCode: 'BUDGET_EXCEEDED',
      scope: `${RUN}/toolset:email`,
      unit: 'RISK_POINTS',
    });
    expect(report.governed.answer).toMatch(/email budget for this run is spent/);
  });

  it('shows all four outcomes; deploy_service never reaches the authority', () => {
    expect(outcome(report, 'gateway DENY')).toMatchObject({
      total: 1,
      toolCalls: 1,
      byName: { deploy_service: 1 },
    });
    expect(outcome(report, 'authority DENY')).toMatchObject({
      total: 1,
      toolCalls: 1,
      byName: { send_email: 1 },
    });
    const capped = outcome(report, 'ALLOW_WITH_CAPS');
    expect(capped.toolCalls).toBe(0);
    expect(capped.modelCalls).toBe(report.governed.downgraded);
    expect(capped.modelCalls).toBeGreaterThan(0);
    const allowed = outcome(report, 'ALLOW');
    expect(allowed.byName).toMatchObject({ send_email: 200, 'refund.issue': 4 });
    expect(allowed.modelCalls + capped.modelCalls).toBe(report.governed.modelCalls);
    expect(report.governed.firstDowngradeAt).toBe(allowed.modelCalls + 1);
    expect(report.governed.deployReachedAuthority).toBe(false);
  });

  it('the ledger’s figures: risk points spent exactly, dollars = the commits = priced usage', () => {
    const email = budgetOf(report, `${RUN}/toolset:email`, 'RISK_POINTS');
    expect(email).toMatchObject({ allocated: 200, spent: 200, reserved: 0, remaining: 0 });
    const billing = budgetOf(report, `${RUN}/toolset:billing`, 'RISK_POINTS');
    expect(billing).toMatchObject({ allocated: 100, spent: 100, reserved: 0, remaining: 0 });
    const run = budgetOf(report, RUN, 'USD_MICROCENTS');
    const tenant = budgetOf(report, 'tenant:acme', 'USD_MICROCENTS');
    expect(run.spent).toBe(report.governed.committed.usd);
    expect(tenant.spent).toBe(run.spent);
    expect(report.governed.committed.riskPoints).toBe(300);
    for (const b of report.governed.ledger) {
      expect(b.reserved).toBe(0);
      expect(b.remaining).toBe(b.allocated - b.spent - b.debt);
    }
    // Committed at actual usage: every call priced for the model that actually ran.
    const pricing = createPricing();
    const cost = (modelId: string, u: { input: number; output: number }) =>
      pricing.cost({ provider: 'openai', modelId }, { inputTokens: u.input, outputTokens: u.output });
    const full = outcome(report, 'ALLOW').modelCalls;
    const capped = outcome(report, 'ALLOW_WITH_CAPS').modelCalls;
    expect(run.spent).toBe(
      full * cost('gpt-4o', STEP_USAGE) +
        (capped - 1) * cost('gpt-4o-mini', STEP_USAGE) +
        cost('gpt-4o-mini', ANSWER_USAGE),
    );
    // Caps came at ≥80 % of the run's dollars and never before.
    expect(full * cost('gpt-4o', STEP_USAGE)).toBeGreaterThanOrEqual(0.8 * run.allocated);
    expect((full - 1) * cost('gpt-4o', STEP_USAGE)).toBeLessThan(0.8 * run.allocated);
  });

  it('prints the tables and the reason, and the same text every time (apart from timing)', async () => {
    const text = io.stdout.join('\n');
    expect(text).toMatch(/emails sent\s+400\s+200/);
    expect(text).toMatch(/gateway DENY\s+0\s+1\s+deploy_service ×1: not on the allowlist/);
    expect(text).toMatch(/authority DENY\s+0\s+1\s+send_email #201: BUDGET_EXCEEDED/);
    expect(text).toMatch(/toolset:email\s+RISK_POINTS\s+200 pt\s+200 pt\s+0 pt\s+0 pt\s+ACTIVE/);
    expect(text).toContain('Why the last denial: send_email #201 was denied (BUDGET_EXCEEDED)');
    const again = bufferIo();
    await runDemo({ via }, again);
    const strip = (lines: string[]) => lines.join('\n').replace(/\(\d+ ms\)/, '');
    expect(strip(again.stdout)).toBe(strip(io.stdout));
    expect(io.stderr).toEqual([]);
  });

  it('shows a live progress line only when given one (a TTY)', async () => {
    const updates: string[] = [];
    const tty = { ...bufferIo(), progress: (t: string) => updates.push(t), clearProgress: () => {} };
    await runDemo({ via, emails: 20, riskPoints: 10 }, tty);
    expect(updates.length).toBeGreaterThan(20);
    expect(updates.at(-1)).toMatch(/governed\s+step\s+\d+\s+emails sent\s+10 of 20/);
  });
});

describe('governor demo flags', () => {
  it('--emails and --risk-points change the scenario', async () => {
    const io = bufferIo();
    expect(
      await main(['demo', '--emails', '50', '--risk-points', '20', '--refund-every', '0', '--json'], io),
    ).toBe(0);
    const r = JSON.parse(io.stdout.join('\n')) as DemoReport;
    expect(r.ungoverned.executed.send_email).toBe(50);
    expect(r.governed.executed.send_email).toBe(20);
    expect(r.governed.lastDenial?.attempt).toBe(21);
  });

  it.each(VIAS)(
    '--via %s: --budget small enough stops the loop on dollars before the emails run out',
    async (via) => {
      const io = bufferIo();
      const r = await runDemo({ via, emails: 30, riskPoints: 10, runBudget: 5_000_000 }, io);
      // The AI SDK loop stops on budgetExhausted's dry run; createAgent on the denied model call itself.
      const by = via === 'langchain' ? 'reserve' : 'loop guard';
      expect(r.governed.lastDenial).toMatchObject({ by, scope: RUN, unit: 'USD_MICROCENTS', attempt: 9 });
      expect(r.governed.answer).toMatch(/^Stopped: the next model call was denied/);
      expect(r.governed.executed.send_email).toBeLessThan(10);
      const run = r.governed.ledger.find((b) => b.scope === RUN && b.unit === 'USD_MICROCENTS');
      expect(run?.spent).toBeLessThanOrEqual(5_000_000);
    },
  );

  it.each(VIAS)(
    '--via %s --loop-breaker: identical retries end by LOOP_DETECTED long before the RISK_POINTS budget',
    async (via) => {
      const r = await runDemo({ via, loopBreaker: true }, bufferIo());
      // The default loop breaker: the 5th identical send_email within 10 minutes is denied.
      expect(r.governed.executed.send_email).toBe(4);
      expect(r.governed.lastDenial).toMatchObject({
        by: 'reserve',
        action: 'send_email',
        attempt: 5,
        reasonCode: 'LOOP_DETECTED',
        scope: RUN,
      });
      expect(r.governed.answer).toMatch(/refused as a loop/);
      expect(budgetOf(r, `${RUN}/toolset:email`, 'RISK_POINTS')).toMatchObject({ spent: 4, remaining: 196 });
      expect(r.ungoverned.executed.send_email).toBe(400);
    },
  );

  it('--loop-breaker prints the loop breaker’s reason; with --ledger it is wrong usage', async () => {
    const io = bufferIo();
    expect(await main(['demo', '--loop-breaker', '--emails', '20'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/loop detected/);
    const bad = bufferIo();
    expect(await main(['demo', '--loop-breaker', '--ledger', '/tmp/never.db'], bad)).toBe(2);
  });

  it('--json is one JSON document with the report', async () => {
    const io = bufferIo();
    expect(await main(['demo', '--json'], io)).toBe(0);
    const r = JSON.parse(io.stdout.join('\n')) as DemoReport;
    expect(Object.keys(r).sort()).toEqual([
      'authority',
      'durationMs',
      'governed',
      'scenario',
      'ungoverned',
      'via',
    ]);
    expect(r.authority).toBe('memory');
    expect(r.via).toBe('ai-sdk');
    expect(r.governed.outcomes.map((o) => [o.outcome, o.total])).toEqual([
      ['gateway DENY', 1],
      ['authority DENY', 1],
      ['ALLOW_WITH_CAPS', outcome(r, 'ALLOW_WITH_CAPS').total],
      ['ALLOW', outcome(r, 'ALLOW').total],
    ]);
    expect(r.governed.ledger[0]).toEqual(
      expect.objectContaining({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: 5_000_000_000 }),
    );
  });

  it.each(VIAS)('--via %s --json: the same report shape', async (via) => {
    const io = bufferIo();
    expect(await main(['demo', '--via', via, '--emails', '50', '--risk-points', '20', '--json'], io)).toBe(0);
    const r = JSON.parse(io.stdout.join('\n')) as DemoReport;
    expect(r.via).toBe(via);
    expect(r.governed.executed).toEqual({ send_email: 20, 'refund.issue': 0, deploy_service: 0 });
    expect(r.governed.lastDenial).toMatchObject({ action: 'send_email', attempt: 21 });
    expect(r.governed.outcomes.map((o) => o.outcome)).toEqual([
      'gateway DENY',
      'authority DENY',
      'ALLOW_WITH_CAPS',
      'ALLOW',
    ]);
  });

  it('--via bogus is wrong usage: exit 2, the paths named', async () => {
    const io = bufferIo();
    expect(await main(['demo', '--via', 'bogus'], io)).toBe(2);
    expect(io.stdout).toEqual([]);
    expect(io.stderr.join('\n')).toContain('--via: expected one of ai-sdk, langchain, mcp, got "bogus"');
  });

  it('--help names the paths', async () => {
    const io = bufferIo();
    expect(await main(['demo', '--help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/--via <path>.*ai-sdk/);
  });
});
