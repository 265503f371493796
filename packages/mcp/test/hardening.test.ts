import { request } from 'node:http';
import { createGovernor } from '@governor/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { proxySessions, serveStreamableHttp } from '../src/index.js';
import { FIXTURE, fixtureLog } from './fixture.js';
import { setup, textOf } from './support.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
});

function post(url: URL, body: string | Buffer, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      url,
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
    req.on('error', (error) =>
      /EPIPE|ECONNRESET/.test(String(error)) ? resolve({ status: 413, body: '' }) : reject(error),
    );
    req.end(body);
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function serve(options: Record<string, unknown> = {}) {
  const log = await fixtureLog(cleanup);
  const env = await setup(0, { subject: { tenant: 'acme', workflow: 'support' } });
  await env.ledger.addTemplate({
    match: 'tenant:*/workflow:support/run:*',
    unit: 'RISK_POINTS',
    allocated: 5,
  });
  const governors = new Map<string, ReturnType<typeof createGovernor>>();
  const governorFor = (tenant = 'acme') => {
    if (!governors.has(tenant))
      governors.set(
        tenant,
        createGovernor({ authority: env.ledger, subject: { tenant, workflow: 'support' } }),
      );
    return governors.get(tenant) as ReturnType<typeof createGovernor>;
  };
  const closed: string[] = [];
  const server = await serveStreamableHttp({
    port: 0,
    maxBodyBytes: 64 * 1024,
    ...options,
    openSession: proxySessions({
      governor: governorFor,
      upstream: { ...FIXTURE, env: log.env },
      run: { per: 'session', header: 'X-Governor-Run' },
      onSessionClosed: (run) => void closed.push(run),
    }),
  });
  cleanup.push(server.close);
  const started = async () => (await log.events()).filter((e) => e.event === 'ready').length;
  return { ...env, server, started, closed };
}

async function connect(url: URL, headers: Record<string, string> = {}) {
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers } });
  const client = new Client({ name: 'host', version: '0.0.0' });
  await client.connect(transport);
  cleanup.push(() => client.close());
  const pid = Number(textOf(await client.callTool({ name: 'pid', arguments: {} })));
  return { client, transport, pid, sessionId: transport.sessionId as string };
}

describe('the Streamable HTTP server, hardened', () => {
  it('starts no upstream for rejected requests (406, 415, 413, foreign Origin or Host, not initialize)', async () => {
    const { server, started } = await serve();
    const url = server.url;
    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => post(url, INIT, { accept: 'application/json' })),
      ...Array.from({ length: 5 }, () => post(url, INIT, { 'content-type': 'text/plain' })),
      post(url, Buffer.alloc(200 * 1024, 'a')),
      post(url, INIT, { origin: 'http://evil.example' }),
      post(url, INIT, { host: 'evil.example:80' }),
      post(url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      ...Array(5).fill(406),
      ...Array(5).fill(415),
      413,
      403,
      403,
      400,
    ]);
    expect(server.sessions()).toEqual([]);
    expect(await started()).toBe(0);
    // A valid initialize starts exactly one.
    await connect(url);
    expect(await started()).toBe(1);
  });

  it('idle sessions are closed with their upstream; at the session limit the longest idle makes room', async () => {
    // Long enough that connecting three sessions on a loaded machine never outlasts it.
    const { server, closed } = await serve({ idleTimeoutMs: 2_000, maxSessions: 2 });
    const a = await connect(server.url);
    const b = await connect(server.url);
    const c = await connect(server.url);
    expect(server.sessions().sort()).toEqual([b.sessionId, c.sessionId].sort());
    await expect.poll(() => alive(a.pid), { timeout: 5_000 }).toBe(false);
    await expect.poll(() => server.sessions(), { timeout: 10_000 }).toEqual([]);
    await expect.poll(() => [alive(b.pid), alive(c.pid)], { timeout: 10_000 }).toEqual([false, false]);
    expect(closed).toHaveLength(3);
  });

  it('bearer tokens: none is 401; a token spends its own tenant’s budget only; another token cannot use the session; the run comes from X-Governor-Run', async () => {
    const tokens = new Map([
      ['token-a', 'acme'],
      ['token-b', 'beta'],
    ]);
    const { server, ledger } = await serve({ tokens });
    expect((await post(server.url, INIT)).status).toBe(401);
    const a = await connect(server.url, { authorization: 'Bearer token-a', 'x-governor-run': 'desk-7' });
    expect(textOf(await a.client.callTool({ name: 'write', arguments: { key: 'x' } }))).toBe('wrote x');
    const b = await connect(server.url, { authorization: 'Bearer token-b' });
    expect(textOf(await b.client.callTool({ name: 'write', arguments: { key: 'y' } }))).toBe('wrote y');
    expect(
      await ledger.getBudget({ scope: 'tenant:acme/workflow:support/run:desk-7', unit: 'RISK_POINTS' }),
    ).toMatchObject({ spent: 1 });
    expect(
      await ledger.getBudget({
        scope: `tenant:beta/workflow:support/run:mcp-${b.sessionId}`,
        unit: 'RISK_POINTS',
      }),
    ).toMatchObject({ spent: 1 });
    const stolen = await post(server.url, JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }), {
      authorization: 'Bearer token-b',
      'mcp-session-id': a.sessionId,
      'mcp-protocol-version': '2025-06-18',
    });
    expect(stolen.status).toBe(404);
  });
});
