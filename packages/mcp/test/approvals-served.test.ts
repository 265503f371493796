import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { proxySessions, serveStreamableHttp } from '../src/index.js';
import { binCommand, runBin } from './bin.js';
import { filesystemServer, tempDir } from './filesystem.js';
import { runScope, WRITE_POINTS } from './served.js';
import { setup } from './support.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A host that declares elicitation and approves every call it is asked about. */
function approvingHost() {
  const asked: string[] = [];
  const client = new Client({ name: 'desk-app', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, (request) => {
    asked.push(request.params.message);
    return { action: 'accept', content: { approve: true } };
  });
  return { client, asked };
}

const writeOf = (dir: string) => ({
  name: 'write_file',
  arguments: { path: join(dir, 'report.txt'), content: 'quarterly numbers' },
});

describe('approvals by elicitation, served', () => {
  it('over Streamable HTTP: the host is asked on the call’s stream; approved, the write runs once', async () => {
    const temp = await tempDir();
    cleanup.push(temp.remove);
    const env = await setup(0, {
      subject: { tenant: 'acme', workflow: 'support' },
      approvals: { when: [{ tools: ['write_file'] }] },
    });
    await env.ledger.addTemplate({ match: runScope('*'), unit: 'RISK_POINTS', allocated: 4 });
    const server = await serveStreamableHttp({
      port: 0,
      openSession: proxySessions({ governor: env.governor, upstream: filesystemServer(temp.dir) }),
    });
    cleanup.push(server.close);
    const { client, asked } = approvingHost();
    const transport = new StreamableHTTPClientTransport(server.url);
    await client.connect(transport);
    cleanup.push(() => client.close());
    const result = await client.callTool(writeOf(temp.dir));
    expect(result.isError).toBeFalsy();
    expect(asked).toHaveLength(1);
    expect(await readFile(join(temp.dir, 'report.txt'), 'utf8')).toBe('quarterly numbers');
    const scope = runScope(`mcp-${transport.sessionId}`);
    await env.settled(WRITE_POINTS, 'RISK_POINTS', scope);
    expect((await env.ledger.listReservations({ status: 'COMMITTED' })).reservations).toHaveLength(1);
    expect(await env.ledger.listApprovals({ tenant: 'acme' })).toMatchObject([
      { status: 'USED', decidedBy: 'mcp-host:desk-app', scopePath: scope },
    ]);
  });

  it('governor-mcp-proxy over stdio, approvals from the policy file: approved by the host, written once, committed once', async () => {
    const temp = await tempDir();
    cleanup.push(temp.remove);
    const files = await tempDir();
    cleanup.push(files.remove);
    const budgets = join(files.dir, 'budgets.json');
    const audit = join(files.dir, 'audit.jsonl');
    await writeFile(
      budgets,
      JSON.stringify({
        templates: [{ match: runScope('*'), unit: 'RISK_POINTS', allocated: 4 }],
        approvals: { when: [{ tools: ['write_file'] }] },
      }),
    );
    const upstream = filesystemServer(temp.dir);
    const args = [
      ...['--tenant', 'acme', '--workflow', 'support', '--run', 'desk-1', '--budgets', budgets],
      ...['--audit-log', audit, '--', upstream.command, ...upstream.args],
    ];
    const { client, asked } = approvingHost();
    await client.connect(new StdioClientTransport({ ...binCommand(args), stderr: 'ignore' }));
    const result = await client.callTool(writeOf(temp.dir));
    await client.close();
    expect(result.isError).toBeFalsy();
    expect(asked).toHaveLength(1);
    expect(await readFile(join(temp.dir, 'report.txt'), 'utf8')).toBe('quarterly numbers');
    const lines = (await readFile(audit, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // Denied (the pause), then allowed with its approval, committed once at its points.
    expect(lines.filter((l) => l.event === 'decision').map((l) => l.decision)).toEqual(['DENY', 'ALLOW']);
    expect(lines.filter((l) => l.event === 'commit')).toMatchObject([{ points: WRITE_POINTS }]);
  });

  it('--approvals takes elicit or message; anything else is wrong usage (exit 2)', async () => {
    const wrong = await runBin(['--tenant', 'acme', '--approvals', 'ask', '--', 'x']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch('--approvals: expected elicit or message, got "ask"');
  });
});
