import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { assertLedgerInvariant } from '@governor/core/testing';
import { RedisAuthority } from '@governor/redis';
import { SqliteAuthority } from '@governor/sqlite';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { usage } from '../src/index.js';
import { binCommand, runBin, writeBudgets } from './bin.js';
import { tempDir } from './filesystem.js';
import { FIXTURE, fixtureLog } from './fixture.js';
import { textOf } from './support.js';

const require = createRequire(import.meta.url);
const MEMORY = join(
  dirname(require.resolve('@modelcontextprotocol/server-memory/package.json')),
  'dist/index.js',
);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** The bin over stdio with a real SDK client as the host. */
async function host(args: string[], env: Record<string, string> = {}) {
  const transport = new StdioClientTransport({
    ...binCommand(args),
    env: { ...process.env, ...env } as never,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const client = new Client({ name: 'host', version: '0.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

describe('governor-mcp-proxy, the command', () => {
  it('--help (the one help text) and --version exit 0; wrong usage exits 2; an upstream that exits, with --on-upstream-exit exit, exits 1', async () => {
    const log = await fixtureLog(cleanup);
    const budgets = await writeBudgets(20, cleanup);
    const [help, version, bogus, none, crashed] = await Promise.all([
      runBin(['--help']),
      runBin(['--version']),
      runBin(['--bogus', '--', 'x']),
      runBin(['--tenant', 'acme']),
      runBin(
        [
          '--tenant',
          'acme',
          '--workflow',
          'support',
          '--budgets',
          budgets,
          '--on-upstream-exit',
          'exit',
          '--env',
          `FIXTURE_LOG=${log.path}`,
          '--',
          ...[FIXTURE.command, ...FIXTURE.args],
        ],
        initThenCrash(),
      ),
    ]);
    expect(help).toMatchObject({ code: 0, stdout: `${usage()}\n` });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/governor-mcp-proxy: Unknown option '--bogus'/);
    expect(none).toMatchObject({ code: 2, stderr: expect.stringMatching(/no upstream MCP server given/) });
    expect(crashed.code).toBe(1);
    expect(crashed.stderr).toMatch(/upstream MCP server exited \(--on-upstream-exit exit\)/);
  });

  it('args after -- are the upstream’s (its --help included); it gets our environment plus --env; no --budgets warns at start-up and calls are readable denials', async () => {
    const { client, stderr } = await host(
      ['--env', 'API_KEY=k-123', '--', FIXTURE.command, ...FIXTURE.args, '--help'],
      {
        GOVERNOR_TEST_INHERITED: 'from-the-host',
      },
    );
    cleanup.push(() => client.close());
    expect(textOf(await client.callTool({ name: 'argv', arguments: {} }))).toBe('--help');
    expect(textOf(await client.callTool({ name: 'env', arguments: { name: 'API_KEY' } }))).toBe('k-123');
    expect(
      textOf(await client.callTool({ name: 'env', arguments: { name: 'GOVERNOR_TEST_INHERITED' } })),
    ).toBe('from-the-host');
    expect(stderr()).toMatch(/warning: no --budgets given/);
    const denied = await client.callTool({ name: 'write', arguments: { key: 'a' } });
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toMatch(
      /^not executed: write was denied — no risk-point budget applies to .*run:mcp-/,
    );
  });

  it('a message over 10 MiB on stdio is a JSON-RPC error and exit 1, not a silent exit 0', async () => {
    const big = `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"${'a'.repeat(11 * 1024 * 1024)}"}}\n`;
    const result = await runBin(['--', FIXTURE.command, ...FIXTURE.args], big);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({
      jsonrpc: '2.0',
      error: { message: expect.stringMatching(/over the 10 MiB stdio limit/) },
    });
  });

  it('--ledger: a SQLite ledger file keeps the spend across a restart of the proxy', async () => {
    const budgets = await writeBudgets(3, cleanup);
    const { dir, remove } = await tempDir();
    cleanup.push(remove);
    const file = join(dir, 'governor.db');
    const args = [
      ...[
        '--tenant',
        'acme',
        '--workflow',
        'support',
        '--run',
        'desk-2',
        '--budgets',
        budgets,
        '--ledger',
        file,
      ],
      ...['--env', `MEMORY_FILE_PATH=${join(dir, 'memory.jsonl')}`, '--', process.execPath, MEMORY],
    ];
    const results: boolean[] = [];
    for (const names of [
      ['a', 'b'],
      ['c', 'd'],
    ]) {
      const { client } = await host(args);
      for (const name of names) {
        const result = await client.callTool({
          name: 'create_entities',
          arguments: { entities: [{ name, entityType: 'note', observations: [] }] },
        });
        results.push(result.isError === true);
      }
      await client.close();
    }
    expect(results).toEqual([false, false, false, true]);
    const ledger = new SqliteAuthority({ path: file });
    cleanup.push(() => ledger.close());
    const scope = 'tenant:acme/workflow:support/run:desk-2';
    expect(await ledger.getBudget({ scope, unit: 'RISK_POINTS' })).toMatchObject({
      allocated: 3,
      spent: 3,
      reserved: 0,
    });
    await assertLedgerInvariant(ledger);
  });

  it('--redis: spend survives a restart (budgets applied idempotently, never re-funded); server-memory gets --env; every decision is an audit line', async () => {
    const prefix = `governor-mcp-test-${process.pid}-${Date.now()}`;
    const ledger = new RedisAuthority({ url: REDIS_URL, keyPrefix: prefix });
    cleanup.push(async () => {
      const keys = await ledger.client.keys(`${prefix}*`);
      if (keys.length) await ledger.client.del(...keys);
      await ledger.quit();
    });
    const budgets = await writeBudgets(3, cleanup);
    const { dir, remove } = await tempDir();
    cleanup.push(remove);
    const audit = join(dir, 'audit.jsonl');
    const args = [
      ...['--tenant', 'acme', '--workflow', 'support', '--run', 'desk-1', '--budgets', budgets],
      ...['--redis', REDIS_URL, '--redis-prefix', prefix, '--audit-log', audit],
      ...['--env', `MEMORY_FILE_PATH=${join(dir, 'memory.jsonl')}`, '--', process.execPath, MEMORY],
    ];
    const create = (client: Client, name: string) =>
      client.callTool({
        name: 'create_entities',
        arguments: { entities: [{ name, entityType: 'note', observations: [] }] },
      });
    for (const names of [
      ['a', 'b'],
      ['c', 'd'],
    ]) {
      const { client } = await host(args);
      const results = [];
      for (const name of names) results.push(await create(client, name));
      await client.close();
      if (names[0] === 'a') expect(results.map((r) => r.isError ?? false)).toEqual([false, false]);
      else {
        expect(results[0]?.isError ?? false).toBe(false);
        expect(textOf(results[1])).toMatch(
          'the risk-point budget for tenant:acme/workflow:support/run:desk-1 is spent',
        );
      }
    }
    const scope = 'tenant:acme/workflow:support/run:desk-1';
    expect(await ledger.getBudget({ scope, unit: 'RISK_POINTS' })).toMatchObject({
      allocated: 3,
      spent: 3,
      reserved: 0,
    });
    expect(await ledger.listTemplates()).toHaveLength(1);
    await assertLedgerInvariant(ledger);
    const graph = (await readFile(join(dir, 'memory.jsonl'), 'utf8')).trim().split('\n');
    expect(graph.map((l) => JSON.parse(l).name)).toEqual(['a', 'b', 'c']);
    const lines = (await readFile(audit, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const decisions = lines.filter((l) => l.event === 'decision');
    expect(decisions.map((d) => d.decision)).toEqual(['ALLOW', 'ALLOW', 'ALLOW', 'DENY']);
    expect(decisions[3]).toMatchObject({
      tenant: 'acme',
      run: 'desk-1',
      tool: 'create_entities',
      points: 1,
      reason: 'BUDGET_EXCEEDED',
      scope,
      remaining: 0,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(lines.filter((l) => l.event === 'commit')).toHaveLength(3);
  });
});

/** An initialize, then a call of the fixture's `crash` tool, as raw stdio lines. */
function initThenCrash(): string {
  const init = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } };
  return [
    { jsonrpc: '2.0', id: 0, method: 'initialize', params: init },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'crash', arguments: {} } },
  ]
    .map((m) => `${JSON.stringify(m)}\n`)
    .join('');
}
