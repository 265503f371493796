import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
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

// echo is read-only in server-everything: 0 risk points by default.
const ECHO = { name: 'echo', arguments: { message: 'hi' } };
const TOGGLE = { name: 'toggle-simulated-logging', arguments: {} };

describe('caps before points', () => {
  it.each([
    ['on the denylist', { toolDenylist: ['echo'] }],
    ['outside the allowlist', { toolAllowlist: ['get-sum'] }],
  ])('a 0-point (read-only) tool %s is hidden and, called by name, does not run', async (_name, caps) => {
    const { governor, ledger, settled } = await setup(10);
    await ledger.setCaps({ scope: RUN, unit: 'RISK_POINTS', caps });
    const client = governClient(await everything(), { governor });
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('echo');
    const denied = await client.callTool(ECHO);
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).not.toContain('Echo: hi');
    expect(denied._meta?.['governor/denial']).toMatchObject({ reasonCode: 'TOOL_DENIED_BY_CAPS' });
    await settled(0);
  });
});

describe('invalid points deny the call, with why', () => {
  it.each([Number.NaN, -1, 2.5, '3' as unknown as number, Number.POSITIVE_INFINITY])(
    'points %s: not run, nothing reserved, the text says what is wrong',
    async (points) => {
      const { governor, settled } = await setup(10);
      const client = governClient(await everything(), { governor, riskPoints: { echo: () => points } });
      const denied = await client.callTool(ECHO);
      expect(denied.isError).toBe(true);
      expect(textOf(denied)).toMatch(/^not executed: echo was denied — its risk points must be /);
      expect(denied._meta?.['governor/denial']).toMatchObject({ reasonCode: 'INVALID_RISK_POINTS' });
      await settled(0);
    },
  );
});

describe('rate limits and the loop breaker', () => {
  it('a rate-limited call is an isError result that says when to retry', async () => {
    const { governor, ledger, clock, settled } = await setup(10);
    await ledger.createBudget({
      scope: 'tenant:acme',
      unit: 'RISK_POINTS',
      allocated: 100,
      rateLimits: [{ action: TOGGLE.name, maxCalls: 1, windowMs: 10_000 }],
    });
    const client = governClient(await everything(), { governor, loopBreaker: false });
    expect(textOf(await client.callTool(TOGGLE))).toMatch(/simulated/);
    clock.advance(4_000);
    const early = await client.callTool(TOGGLE);
    expect(early.isError).toBe(true);
    expect(early._meta?.['governor/denial']).toMatchObject({
      reasonCode: 'RATE_LIMITED',
      retryAfterMs: 6_000,
    });
    expect(textOf(early)).toMatch(/rate limit for tenant:acme is reached\. Retry after 6000 ms\.$/);
    clock.advance(6_000);
    expect(textOf(await client.callTool(TOGGLE))).toMatch(/simulated/);
    await settled(2);
  });

  it('the same call with the same arguments, again and again, is stopped by LOOP_DETECTED', async () => {
    const { governor, settled } = await setup(10, { loopBreaker: { threshold: 3, windowMs: 60_000 } });
    const client = governClient(await everything(), { governor });
    for (let i = 0; i < 2; i++) expect(textOf(await client.callTool(TOGGLE))).toMatch(/simulated/);
    const looped = await client.callTool(TOGGLE);
    expect(looped.isError).toBe(true);
    expect(looped._meta?.['governor/denial']).toMatchObject({ reasonCode: 'LOOP_DETECTED', scope: RUN });
    expect(textOf(looped)).toMatch(/loop detected\)\. Do not call it again\.$/);
    await settled(2);
  });
});

describe('pace caps are honoured', () => {
  it('cooldownMs: a call inside the cooldown is denied with the wait; after it, it runs', async () => {
    const { governor, ledger, clock, settled } = await setup(10);
    await ledger.setCaps({ scope: RUN, unit: 'RISK_POINTS', caps: { cooldownMs: 10_000 } });
    const client = governClient(await everything(), { governor });
    expect(textOf(await client.callTool(TOGGLE))).toMatch(/simulated/);
    clock.advance(4_000);
    const early = await client.callTool(TOGGLE);
    expect(early.isError).toBe(true);
    expect(early._meta?.['governor/denial']).toMatchObject({ reasonCode: 'COOLDOWN', retryAfterMs: 6_000 });
    expect(textOf(early)).toMatch(/Retry after 6000 ms\.$/);
    clock.advance(6_000);
    expect(textOf(await client.callTool(TOGGLE))).toMatch(/simulated/);
    await settled(2);
  });

  it('maxStepsRemaining: at most that many more calls, read-only ones included', async () => {
    const { governor, ledger, settled } = await setup(10);
    await ledger.setCaps({ scope: RUN, unit: 'RISK_POINTS', caps: { maxStepsRemaining: 2 } });
    const client = governClient(await everything(), { governor });
    expect(textOf(await client.callTool(ECHO))).toBe('Echo: hi');
    expect(textOf(await client.callTool(TOGGLE))).toMatch(/simulated/);
    const third = await client.callTool(ECHO);
    expect(third.isError).toBe(true);
    expect(third._meta?.['governor/denial']).toMatchObject({ reasonCode: 'MAX_STEPS_REACHED' });
    await settled(1);
  });
});

describe('options', () => {
  it('are checked when the wrapper is made: a misspelt name is an error naming it', async () => {
    const { governor } = await setup(1);
    expect(() => governClient({} as Client, { governor, onToolDeny: 'message' } as never)).toThrow(
      /governClient\.onToolDeny: is not a known field/,
    );
  });

  it('toolSubject charges one tool to its own toolset', async () => {
    const { governor, ledger, settled } = await setup(10);
    const scope = `${RUN}/toolset:logging`;
    await ledger.createBudget({ scope, unit: 'RISK_POINTS', allocated: 5 });
    const client = governClient(await everything(), {
      governor,
      toolSubject: (name) => (name === TOGGLE.name ? { toolset: 'logging' } : undefined),
    });
    await client.callTool(TOGGLE);
    expect(await ledger.getBudget({ scope, unit: 'RISK_POINTS' })).toMatchObject({ spent: 1 });
    await settled(1);
  });
});
