import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { openProxySession, serveOnInitialize } from '../src/index.js';
import { FIXTURE, fixtureLog } from './fixture.js';
import { EVERYTHING, setup, textOf } from './support.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const SCOPE = 'tenant:acme/workflow:support/run:s1';

/** A host with sampling, elicitation and roots, connected in memory to a proxy session over `upstream`. */
async function session(
  upstream: { command: string; args: string[]; env?: Record<string, string> },
  options = {},
) {
  const env = await setup(0, { subject: { tenant: 'acme', workflow: 'support' } });
  await env.ledger.createBudget({ scope: SCOPE, unit: 'RISK_POINTS', allocated: 30 });
  const logs: string[] = [];
  const [hostSide, proxySide] = InMemoryTransport.createLinkedPair();
  let opened: Awaited<ReturnType<typeof openProxySession>> | undefined;
  await serveOnInitialize(proxySide, async (init) => {
    opened = await openProxySession(init, {
      governor: env.governor,
      upstream,
      runId: 's1',
      log: (m) => void logs.push(m),
      ...options,
    });
    return opened.server;
  });
  const host = new Client(
    { name: 'host', version: '0.0.0' },
    { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } },
  );
  host.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
    role: 'assistant',
    model: 'test-model',
    content: {
      type: 'text',
      text: `echo ${(req.params.messages[0]?.content as { text: string } | undefined)?.text}`,
    },
  }));
  host.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Ada' } }));
  host.setRequestHandler(ListRootsRequestSchema, async () => ({
    roots: [{ uri: 'file:///srv/data', name: 'data' }],
  }));
  await host.connect(hostSide);
  cleanup.push(async () => {
    await host.close();
    await opened?.close();
  });
  return {
    ...env,
    host,
    logs,
    close: () => opened?.close(),
    settled: (n: number) => env.settled(n, 'RISK_POINTS', SCOPE),
  };
}

describe('a proxy session', () => {
  it('relays the upstream’s sampling, elicitation and roots requests to the host and back', async () => {
    const { host, settled } = await session(FIXTURE);
    expect(textOf(await host.callTool({ name: 'sample', arguments: { prompt: 'hi' } }))).toBe(
      'host said: echo hi',
    );
    expect(textOf(await host.callTool({ name: 'elicit', arguments: {} }))).toBe('accept: {"name":"Ada"}');
    expect(textOf(await host.callTool({ name: 'roots', arguments: {} }))).toBe('file:///srv/data');
    await settled(2);
  });

  it('server-everything: its tasks capability is kept, and its sampling tool (offered since the host samples) works', async () => {
    const { host } = await session(EVERYTHING);
    expect(host.getServerCapabilities()?.tasks).toMatchObject({ requests: { tools: { call: {} } } });
    const names = (await host.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['trigger-sampling-request', 'get-roots-list']));
    const reply = await host.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'ping' } });
    expect(textOf(reply)).toMatch(/echo Resource trigger-sampling-request context: ping/);
  });

  it('a crashed upstream is restarted with backoff: the call in flight is charged, the next ones run on the new process', async () => {
    const log = await fixtureLog(cleanup);
    const { host, logs, settled, close } = await session(
      { ...FIXTURE, env: log.env },
      { backoff: { initialMs: 50, maxMs: 400 } },
    );
    const before = textOf(await host.callTool({ name: 'pid', arguments: {} }));
    await expect(host.callTool({ name: 'crash', arguments: {} })).rejects.toMatchObject({
      code: ErrorCode.ConnectionClosed,
    });
    await settled(10);
    // While it restarts, calls fail clearly; then the new process answers.
    await expect
      .poll(
        async () =>
          textOf(await host.callTool({ name: 'pid', arguments: {} }).catch(() => ({ content: [] }))),
        {
          timeout: 5_000,
          interval: 100,
        },
      )
      .toMatch(/^\d+$/);
    expect(textOf(await host.callTool({ name: 'pid', arguments: {} }))).not.toBe(before);
    expect(textOf(await host.callTool({ name: 'write', arguments: { key: 'after' } }))).toBe('wrote after');
    await settled(11);
    expect(logs.some((l) => /restarting it in \d+ ms/.test(l))).toBe(true);
    // A clean close says nothing about the upstream going away.
    const count = logs.length;
    await close?.();
    expect(logs.slice(count)).toEqual([]);
  });
});
