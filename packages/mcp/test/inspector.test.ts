import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { balancesLogged, startHttpBin, writeBudgets } from './bin.js';
import { FIXTURE } from './fixture.js';

const require = createRequire(import.meta.url);
const INSPECTOR = join(
  dirname(require.resolve('@modelcontextprotocol/inspector/package.json')),
  'cli/build/cli.js',
);
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('the MCP Inspector CLI as the host', () => {
  it('calls a governed tool through the proxy over Streamable HTTP until the fixed run’s budget is spent', async () => {
    const budgets = await writeBudgets(2, cleanup);
    const bin = await startHttpBin([
      ...[
        '--tenant',
        'acme',
        '--workflow',
        'support',
        '--budgets',
        budgets,
        '--run',
        'inspector',
        '--http',
        '0',
      ],
      ...['--', FIXTURE.command, ...FIXTURE.args],
    ]);
    cleanup.push(async () => void bin.child.kill('SIGTERM'));
    const call = async (key: string) => {
      const { stdout } = await promisify(execFile)(process.execPath, [
        INSPECTOR,
        ...['--cli', bin.url.href, '--transport', 'http', '--method', 'tools/call'],
        ...['--tool-name', 'write', '--tool-arg', `key=${key}`],
      ]);
      return JSON.parse(stdout) as { content: { text: string }[]; isError?: boolean };
    };
    expect((await call('a')).content[0]?.text).toBe('wrote a');
    expect((await call('b')).content[0]?.text).toBe('wrote b');
    const denied = await call('c');
    expect(denied.isError).toBe(true);
    expect(denied.content[0]?.text).toMatch(
      'the risk-point budget for tenant:acme/workflow:support/run:inspector is spent',
    );
    bin.child.kill('SIGTERM');
    await expect.poll(() => balancesLogged(bin.stderr()).length).toBeGreaterThanOrEqual(1);
    expect(balancesLogged(bin.stderr()).at(-1)).toEqual([
      expect.objectContaining({
        scope: 'tenant:acme/workflow:support/run:inspector',
        spent: { unit: 'RISK_POINTS', amount: 2 },
      }),
    ]);
  });
});
