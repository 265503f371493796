import { BudgetDeniedError } from '@governor/core';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { governClient } from '../src/index.js';
import { connectEverything, RUN, setup, textOf } from './support.js';

const open: Client[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function everything() {
  const { client } = await connectEverything();
  open.push(client);
  return client;
}

// server-everything's toggle-simulated-logging is annotated as a write (not read-only,
// not destructive, closed world): 1 risk point by default. echo and get-sum are read-only: 0.
const TOGGLE = { name: 'toggle-simulated-logging', arguments: {} };

describe('governClient against server-everything', () => {
  it('the run’s risk points run out at exactly the fourth write; read-only tools keep working', async () => {
    const { governor, settled } = await setup(3);
    const client = governClient(await everything(), { governor });
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) texts.push(textOf(await client.callTool(TOGGLE)));
    expect(texts[0]).toMatch(/^Started simulated/);
    expect(texts[1]).toMatch(/^Stopped simulated/);
    const denied = await client.callTool(TOGGLE);
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toBe(
      `not executed: toggle-simulated-logging was denied — the risk-point budget for ${RUN} is spent. Do not call it again.`,
    );
    expect(denied._meta?.['governor/denial']).toMatchObject({ reasonCode: 'BUDGET_EXCEEDED', scope: RUN });
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'hi' } }))).toBe('Echo: hi');
    await settled(3);
  });

  it('points per tool, as a number or a function of the arguments, override the annotations', async () => {
    const { governor, settled } = await setup(10);
    const client = governClient(await everything(), {
      governor,
      riskPoints: {
        'get-sum': (args) => (Number((args as { a?: unknown })?.a) > 100 ? 4 : undefined),
        [TOGGLE.name]: 3,
      },
    });
    expect(textOf(await client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } }))).toMatch(/is 3\.$/);
    expect(textOf(await client.callTool({ name: 'get-sum', arguments: { a: 500, b: 1 } }))).toMatch(
      /is 501\.$/,
    );
    await client.callTool(TOGGLE);
    await settled(4 + 3);
  });

  it('the governor’s risk-point table comes before the annotations', async () => {
    const { governor, settled } = await setup(10, { riskPoints: { rules: [{ name: 'echo', points: 2 }] } });
    const client = governClient(await everything(), { governor });
    await client.callTool({ name: 'echo', arguments: { message: 'a' } });
    await settled(2);
  });

  it('a call that times out or is aborted after it was sent is charged (the server may have done the work)', async () => {
    const { governor, settled } = await setup(10);
    const client = governClient(await everything(), {
      governor,
      riskPoints: { 'trigger-long-running-operation': 5 },
    });
    const slow = { name: 'trigger-long-running-operation', arguments: { duration: 30, steps: 30 } };
    const timedOut = client.callTool(slow, undefined, { timeout: 200 });
    await expect(timedOut).rejects.toMatchObject({ code: ErrorCode.RequestTimeout });
    await settled(5);
    const abort = new AbortController();
    const aborted = client.callTool(slow, undefined, { signal: abort.signal });
    setTimeout(() => abort.abort('user cancelled'), 100);
    await expect(aborted).rejects.toThrow();
    await settled(10);
    // Aborted before it could be sent: released.
    const early = new AbortController();
    early.abort('never mind');
    const budget = await setup(5);
    const fresh = governClient(await everything(), {
      governor: budget.governor,
      riskPoints: { 'trigger-long-running-operation': 5 },
    });
    await expect(fresh.callTool(slow, undefined, { signal: early.signal })).rejects.toThrow();
    await budget.settled(0);
  });

  it('onDeny: throw raises BudgetDeniedError and the server is not called', async () => {
    const { governor, settled } = await setup(1);
    const client = governClient(await everything(), { governor, onDeny: 'throw' });
    await client.callTool(TOGGLE);
    const error = await client.callTool(TOGGLE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetDeniedError);
    expect(error).toMatchObject({ reasonCode: 'BUDGET_EXCEEDED', scope: RUN });
    await settled(1);
  });

  it('listTools hides what the caps deny; a call to it anyway is denied and nothing is spent', async () => {
    const { governor, settled } = await setup(10, {}, { toolDenylist: [TOGGLE.name] });
    const client = governClient(await everything(), { governor });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('echo');
    expect(names).not.toContain(TOGGLE.name);
    const denied = await client.callTool(TOGGLE);
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toMatch(/not allowed any more in this run \(budget caps\)/);
    await settled(0);
  });

  it('an unknown tool is refused without reaching the server or the ledger', async () => {
    const { governor, settled } = await setup(10);
    const client = governClient(await everything(), { governor });
    await expect(client.callTool({ name: 'no-such-tool', arguments: {} })).rejects.toBeInstanceOf(McpError);
    await settled(0);
  });

  it('is still the client: other methods and instanceof work', async () => {
    const { governor } = await setup(10);
    const raw = await everything();
    const client = governClient(raw, { governor });
    expect(client.getServerVersion()?.name).toBe(raw.getServerVersion()?.name);
    expect((await client.listPrompts()).prompts.length).toBeGreaterThan(0);
    expect(await client.ping()).toEqual({});
  });
});
