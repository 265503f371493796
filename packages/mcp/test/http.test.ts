import { request } from 'node:http';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { balancesLogged, startHttpBin, writeBudgets } from './bin.js';
import { filesystemServer, tempDir } from './filesystem.js';
import { runScope, servedFilesystem, WRITE_POINTS } from './served.js';
import { textOf } from './support.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const POINTS = WRITE_POINTS;
const N = 2;
const sessionRun = (sessionId: string) => runScope(`mcp-${sessionId}`);

async function connect(url: URL) {
  const transport = new StreamableHTTPClientTransport(url);
  const client = new Client({ name: 'host', version: '0.0.0' });
  await client.connect(transport);
  cleanup.push(() => client.close());
  const write = (dir: string, file: string) =>
    client.callTool({ name: 'write_file', arguments: { path: join(dir, file), content: file } });
  return { client, transport, write, sessionId: transport.sessionId as string };
}

const served = () => servedFilesystem(N * POINTS, cleanup);

describe('the proxy over Streamable HTTP', () => {
  it('binds loopback; two concurrent sessions are two runs, each denied at its (N+1)th write', async () => {
    const { server, dir, files, settled, closed } = await served();
    expect(server.url.hostname).toBe('127.0.0.1');
    const [a, b] = await Promise.all([connect(server.url), connect(server.url)]);
    if (!a || !b) throw new Error('not connected');
    expect(a.sessionId).not.toBe(b.sessionId);
    expect(server.sessions().sort()).toEqual([a.sessionId, b.sessionId].sort());
    const results = await Promise.all(
      [0, 1].flatMap((i) => [a.write(dir, `a${i}.txt`), b.write(dir, `b${i}.txt`)]),
    );
    expect(results.map(textOf)).toEqual(
      [0, 1].flatMap((i) => [
        `Successfully wrote to ${join(dir, `a${i}.txt`)}`,
        `Successfully wrote to ${join(dir, `b${i}.txt`)}`,
      ]),
    );
    for (const [session, name] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      const denied = await session.write(dir, `${name}${N}.txt`);
      expect(denied.isError).toBe(true);
      expect(textOf(denied)).toMatch(`the risk-point budget for ${sessionRun(session.sessionId)} is spent`);
    }
    expect(await files()).toEqual(['a0.txt', 'a1.txt', 'b0.txt', 'b1.txt']);
    await settled(N * POINTS, 'RISK_POINTS', sessionRun(a.sessionId));
    await settled(N * POINTS, 'RISK_POINTS', sessionRun(b.sessionId));
    // Ending a session (DELETE) closes its server and upstream; the other keeps serving.
    await a.transport.terminateSession();
    await expect.poll(() => closed).toEqual([`mcp-${a.sessionId}`]);
    expect(server.sessions()).toEqual([b.sessionId]);
    expect((await b.client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('refuses requests without a session, with an unknown session, bad JSON, or a foreign Host', async () => {
    const { server } = await served();
    const post = (body: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          server.url,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
              ...headers,
            },
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => {
              text += c.toString();
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    expect((await post(ping)).status).toBe(400);
    expect((await post(ping, { 'mcp-session-id': 'nope' })).status).toBe(404);
    expect(await post('{not json')).toMatchObject({ status: 400, body: expect.stringContaining('-32700') });
    expect((await post(ping, { host: 'evil.example:80' })).status).toBe(403);
    expect(server.sessions()).toEqual([]);
  });
});

describe('governor-mcp-proxy --http', () => {
  it('serves sessions on 127.0.0.1; each session is its own run, balances logged when it ends', async () => {
    const { dir, files, remove } = await tempDir();
    cleanup.push(remove);
    const budgets = await writeBudgets(N * POINTS, cleanup);
    const { command, args } = filesystemServer(dir);
    const bin = await startHttpBin([
      ...['--tenant', 'acme', '--workflow', 'support', '--budgets', budgets, '--http', '0', '--'],
      command,
      ...args,
    ]);
    cleanup.push(async () => {
      bin.child.kill('SIGTERM');
    });
    expect(bin.url.hostname).toBe('127.0.0.1');
    const session = await connect(bin.url);
    for (let i = 0; i < N; i++)
      expect(textOf(await session.write(dir, `f${i}.txt`))).toMatch(/^Successfully wrote/);
    expect((await session.write(dir, `f${N}.txt`)).isError).toBe(true);
    expect(await files()).toEqual(['f0.txt', 'f1.txt']);
    await session.transport.terminateSession();
    await expect.poll(() => balancesLogged(bin.stderr()).length).toBe(1);
    expect(balancesLogged(bin.stderr())[0]).toEqual([
      expect.objectContaining({
        scope: sessionRun(session.sessionId),
        spent: { unit: 'RISK_POINTS', amount: N * POINTS },
        reserved: { unit: 'RISK_POINTS', amount: 0 },
      }),
    ]);
  });
});
