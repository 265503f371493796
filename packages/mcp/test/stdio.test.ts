import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { EVERYTHING, textOf } from './support.js';

const PKG = dirname(dirname(fileURLToPath(import.meta.url)));
const POLICY = `
templates:
  - { match: "tenant:acme/workflow:support/run:*", unit: RISK_POINTS, allocated: 2 }
riskPoints:
  rules:
    - { name: echo, points: 0 }
`;

/** The `governor-mcp-proxy` bin, run from source, in front of server-everything; a real SDK client over stdio. */
async function startProxy() {
  const dir = await mkdtemp(join(tmpdir(), 'governor-mcp-'));
  const budgets = join(dir, 'budgets.yaml');
  await writeFile(budgets, POLICY);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      '--conditions=@governor/source',
      '--import',
      'tsx',
      join(PKG, 'src/bin.ts'),
      ...['--tenant', 'acme', '--workflow', 'support', '--run', 'session-7', '--budgets', budgets],
      '--',
      EVERYTHING.command,
      ...EVERYTHING.args,
    ],
    cwd: PKG,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'host', version: '0.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

describe('governor-mcp-proxy over stdio', () => {
  it('a host talks to it unmodified; the third write of the session’s run is denied; balances exact at exit', async () => {
    const { client, stderr } = await startProxy();
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('toggle-simulated-logging');
    const call = () => client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    expect(textOf(await call())).toMatch(/^Started simulated/);
    expect(textOf(await call())).toMatch(/^Stopped simulated/);
    const denied = await call();
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toMatch(
      'the risk-point budget for tenant:acme/workflow:support/run:session-7 is spent',
    );
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'ok' } }))).toBe('Echo: ok');
    await client.close();
    const line = stderr()
      .split('\n')
      .find((l) => l.startsWith('governor-mcp-proxy: balances '));
    const balances = JSON.parse(line?.slice('governor-mcp-proxy: balances '.length) ?? '[]');
    expect(balances).toEqual([
      expect.objectContaining({
        scope: 'tenant:acme/workflow:support/run:session-7',
        spent: { unit: 'RISK_POINTS', amount: 2 },
        reserved: { unit: 'RISK_POINTS', amount: 0 },
      }),
    ]);
  });
});
