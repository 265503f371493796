import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createGovernorProxy, governClient } from '../src/index.js';
import { connectFixture, fixtureLog } from './fixture.js';
import { RUN, setup, textOf } from './support.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

// The fixture's `slow` is destructive, closed world: 10 points.
const slow = (ms: number, steps = 1) => ({ name: 'slow', arguments: { ms, steps } });

async function fixture() {
  const log = await fixtureLog(cleanup);
  const { client } = await connectFixture(log.env);
  cleanup.push(() => client.close());
  const cancelled = async () => (await log.events()).filter((e) => e.event === 'cancelled').length;
  return { client, log, cancelled };
}

describe('a call sent upstream is charged, whatever happens next', () => {
  it('governClient: a timed-out and a cancelled call are charged (and cancelled upstream); a call the server refuses is not', async () => {
    const { governor, settled } = await setup(25);
    const up = await fixture();
    const client = governClient(up.client, { governor });
    await expect(client.callTool(slow(5_000, 50), undefined, { timeout: 150 })).rejects.toMatchObject({
      code: ErrorCode.RequestTimeout,
    });
    await settled(10);
    const abort = new AbortController();
    const aborted = client.callTool(slow(5_000, 50), undefined, { signal: abort.signal });
    setTimeout(() => abort.abort('user cancelled'), 100);
    await expect(aborted).rejects.toThrow(/user cancelled/);
    await settled(20);
    // The server heard both cancellations and stopped.
    await expect.poll(up.cancelled).toBe(2);
    // 5 points left: the third slow call (10) is denied without reaching the server.
    const denied = await client.callTool(slow(10));
    expect(denied.isError).toBe(true);
    expect((await up.log.events()).filter((e) => e.event === 'start')).toHaveLength(2);
    // The server refuses a malformed write before running it (InvalidParams): not charged.
    await expect(client.callTool({ name: 'write', arguments: { key: 7 } })).rejects.toMatchObject({
      code: ErrorCode.InvalidParams,
    });
    expect(textOf(await client.callTool({ name: 'write', arguments: { key: 'k' } }))).toBe('wrote k');
    await settled(21);
  });

  it('through the proxy: progress is relayed and resets the timeout; the proxy’s timeout and the host’s cancel are charged and cancelled upstream; the denial says what is left', async () => {
    const env = await setup(0, { subject: { tenant: 'acme', workflow: 'support' } });
    const scope = 'tenant:acme/workflow:support/run:s1';
    await env.ledger.createBudget({ scope, unit: 'RISK_POINTS', allocated: 35 });
    const up = await fixture();
    const proxy = createGovernorProxy({
      upstream: up.client,
      governor: env.governor,
      runId: 's1',
      timeoutMs: 300,
      ledger: env.ledger,
    });
    const [hostSide, proxySide] = InMemoryTransport.createLinkedPair();
    await proxy.connect(proxySide);
    const host = new Client({ name: 'host', version: '0.0.0' });
    await host.connect(hostSide);
    cleanup.push(() => host.close());
    const settled = (spent: number) => env.settled(spent, 'RISK_POINTS', scope);

    // 1.2 s of work with progress every 100 ms: longer than both timeouts (300 ms proxy, 400 ms host), never cut.
    const progress: number[] = [];
    const long = await host.callTool(slow(1_200, 12), undefined, {
      timeout: 400,
      resetTimeoutOnProgress: true,
      onprogress: (p) => void progress.push(p.progress),
    });
    expect(textOf(long)).toBe('worked 1200 ms');
    // (the last one may race the result)
    expect(progress.slice(0, 11)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    await settled(10);

    // No progress: the proxy's own timeout (300 ms) ends it; charged, and the upstream is told.
    await expect(host.callTool(slow(3_000))).rejects.toMatchObject({ code: ErrorCode.RequestTimeout });
    await settled(20);
    await expect.poll(up.cancelled).toBe(1);

    // The host cancels (notifications/cancelled): forwarded upstream, charged.
    const abort = new AbortController();
    const call = host.callTool(slow(3_000, 30), undefined, { signal: abort.signal });
    setTimeout(() => abort.abort('host cancelled'), 150);
    await expect(call).rejects.toThrow(/host cancelled/);
    await expect.poll(up.cancelled).toBe(2);
    await settled(30);

    const denied = await host.callTool(slow(10));
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toBe(
      `not executed: slow was denied — it needs 10 risk points; the risk-point budget for ${scope} has 5 left. Do not call it again.`,
    );
    await settled(30);
  });
});

// The run the wrapper tests charge.
void RUN;
