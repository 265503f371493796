import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CallToolResultSchema, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createGovernorProxy } from '../src/index.js';
import { connectEverything, setup, textOf } from './support.js';

const RUN = 'tenant:acme/workflow:support/run:session-1';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** server-everything ← proxy ← a real SDK client, the last link in memory. */
async function throughProxy(riskPoints: number, caps?: { toolDenylist: string[] }) {
  const env = await setup(0, { subject: { tenant: 'acme', workflow: 'support' } });
  await env.ledger.createBudget({
    scope: RUN,
    unit: 'RISK_POINTS',
    allocated: riskPoints,
    ...(caps ? { caps } : {}),
  });
  const { client: upstream, transport } = await connectEverything();
  const proxy = createGovernorProxy({ upstream, governor: env.governor, runId: 'session-1' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await proxy.connect(serverSide);
  const client = new Client({ name: 'host', version: '0.0.0' });
  await client.connect(clientSide);
  closers.push(async () => {
    await client.close();
    await upstream.close();
  });
  const settled = (spent: number) => env.settled(spent, 'RISK_POINTS', RUN);
  return { ...env, client, upstream, transport: transport as StdioClientTransport, settled };
}

const TOGGLE = { name: 'toggle-simulated-logging', arguments: {} };

describe('the enforcing proxy in front of server-everything', () => {
  it('passes allowed calls with the upstream’s real results and denies the fourth write', async () => {
    const { client, settled } = await throughProxy(3);
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) texts.push(textOf(await client.callTool(TOGGLE)));
    expect(texts.map((t) => t.split(' ')[0])).toEqual(['Started', 'Stopped', 'Started']);
    const denied = await client.callTool(TOGGLE);
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toMatch(`the risk-point budget for ${RUN} is spent`);
    expect(textOf(await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } }))).toMatch(/is 5\.$/);
    await settled(3);
  });

  it('re-exposes the upstream’s tools, resources and prompts', async () => {
    const { client, upstream } = await throughProxy(3);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual((await upstream.listTools()).tools.map((t) => t.name));
    const resources = await client.listResources();
    expect(resources.resources.length).toBeGreaterThan(0);
    const first = resources.resources[0];
    if (!first) throw new Error('no resource');
    expect((await client.readResource({ uri: first.uri })).contents[0]?.uri).toBe(first.uri);
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toEqual((await upstream.listPrompts()).prompts.map((p) => p.name));
    expect(client.getServerCapabilities()?.resources).toBeDefined();
  });

  it('hides the tools the caps deny and denies calls to them', async () => {
    const { client, settled } = await throughProxy(5, { toolDenylist: [TOGGLE.name] });
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain(TOGGLE.name);
    const denied = await client.callTool(TOGGLE);
    expect(denied.isError).toBe(true);
    await settled(0);
  });

  it('bad input gets clear errors and the proxy keeps serving', async () => {
    const { client, settled } = await throughProxy(3);
    await expect(client.callTool({ name: 'no-such-tool', arguments: {} })).rejects.toMatchObject({
      code: ErrorCode.InvalidParams,
      message: expect.stringContaining('Tool no-such-tool not found'),
    });
    const malformed = client.request(
      { method: 'tools/call', params: { name: 'echo', arguments: 'not an object' } },
      CallToolResultSchema,
    );
    // The SDK's Server rejects it before any handler (as an InternalError naming params.arguments).
    await expect(malformed).rejects.toMatchObject({ message: expect.stringMatching(/arguments/) });
    await expect(
      client.request({ method: 'tools/nope', params: {} }, CallToolResultSchema),
    ).rejects.toMatchObject({
      code: ErrorCode.MethodNotFound,
    });
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'still here' } }))).toBe(
      'Echo: still here',
    );
    await client.callTool(TOGGLE);
    await settled(1);
  });

  it('an upstream crash is a clear error, releases the call, and the proxy keeps serving', async () => {
    const { client, transport, settled } = await throughProxy(3);
    await client.callTool(TOGGLE);
    process.kill(transport.pid as number, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(client.callTool(TOGGLE)).rejects.toMatchObject({
      message: expect.stringContaining('upstream MCP server'),
    });
    await expect(client.listTools()).rejects.toMatchObject({
      message: expect.stringContaining('upstream MCP server'),
    });
    // No "connected" ping over a dead upstream: the ping is the upstream's.
    await expect(client.ping()).rejects.toMatchObject({
      message: expect.stringContaining('upstream MCP server'),
    });
    await settled(1);
  });
});
