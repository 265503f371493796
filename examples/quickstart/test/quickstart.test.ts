import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Run a quick start as a user would from the checkout: its own process, no API key. */
async function quickstart(file: string): Promise<string> {
  const env = { ...process.env };
  delete env.OPENAI_API_KEY;
  const { stdout } = await run(
    process.execPath,
    ['--conditions=@governor/source', '--import', 'tsx', join(dir, file)],
    { cwd: dir, env, timeout: 60_000 },
  );
  return stdout;
}

describe('the README quick starts run as written', () => {
  it('ai-sdk.ts: three emails sent, the fourth denied by the run’s RISK_POINTS, the loop ends', async () => {
    const lines = (await quickstart('ai-sdk.ts')).trim().split('\n');
    expect(lines.slice(0, 3)).toEqual(Array(3).fill('sent to bob@example.com'));
    expect(lines[3]).toMatch(
      /^not executed: send_email was denied — the risk-point budget for tenant:acme\/run:4821 is spent/,
    );
    expect(lines.length).toBeLessThan(10);
  });

  it('langchain.ts: the agent answers and its model call is charged to the run', async () => {
    expect(await quickstart('langchain.ts')).toMatch(
      /^Order 1234 ships today\. \(spent [1-9]\d* of 200000000 USD_MICROCENTS\)\n$/,
    );
  });

  it('mcp.ts: two echo calls reach server-everything, the third is an isError denial', async () => {
    const lines = (await quickstart('mcp.ts')).trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('ran: [{"type":"text","text":"Echo: call 1"}]');
    expect(lines[1]).toContain('Echo: call 2');
    expect(lines[2]).toMatch(
      /^DENIED: .*not executed: echo was denied — the risk-point budget for tenant:acme\/run:r1 is spent/,
    );
  });

  it('approvals.ts: the third email pauses for approval, runs once approved, charged once', async () => {
    expect((await quickstart('approvals.ts')).trim().split('\n')).toEqual([
      'paused: send_email (BUDGET_EXCEEDED at tenant:acme/run:4821)',
      'All three customers emailed.',
      'risk points spent 3 of 3, reserved 0',
    ]);
  });

  it('governor.ts: one call committed, the next denied for budget before it runs', async () => {
    expect((await quickstart('governor.ts')).trim().split('\n')).toEqual([
      'decision',
      'commit',
      'reply 1',
      'decision',
      'denied: BUDGET_EXCEEDED',
    ]);
  });
});
