import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createGovernorProxy, governClient, type ProxyApprovals } from '../src/index.js';
import { connectFilesystem, tempDir } from './filesystem.js';
import { RUN, setup, textOf } from './support.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

// write_file of server-filesystem: destructive, closed world — 10 risk points; the run has 4.
const POINTS = 10;
const ALLOCATED = 4;

/** server-filesystem on a fresh temp dir, a ledger whose run cannot afford a write, approvals for write_file. */
async function filesystemOnSpentBudget() {
  const temp = await tempDir();
  cleanup.push(temp.remove);
  const env = await setup(ALLOCATED, { approvals: { when: [{ tools: ['write_file'] }] } });
  const upstream = await connectFilesystem(temp.dir);
  cleanup.push(() => upstream.close());
  const path = join(temp.dir, 'report.txt');
  const write = { name: 'write_file', arguments: { path, content: 'quarterly numbers' } };
  const written = () => readFile(path, 'utf8').catch(() => undefined);
  /** The ledger: nothing reserved, `spent` spent, `commits` calls committed (each ran once). */
  const settledAfter = async (spent: number, commits: number) => {
    await env.settled(spent);
    const committed = await env.ledger.listReservations({ status: 'COMMITTED' });
    expect(committed.reservations).toHaveLength(commits);
  };
  const approvals = () => env.ledger.listApprovals({ tenant: 'acme' });
  return { ...env, ...temp, upstream, path, write, written, settledAfter, approvals };
}

type Answer = ElicitResult | ((request: ElicitRequest) => ElicitResult);

/** The proxy in front of `upstream` as run r1, and a real SDK client as its host (answering elicitations with `answer`, if given). */
async function host(
  env: Awaited<ReturnType<typeof filesystemOnSpentBudget>>,
  answer?: Answer,
  approvals?: ProxyApprovals,
) {
  const proxy = createGovernorProxy({
    upstream: env.upstream,
    governor: env.governor,
    runId: 'r1',
    ...(approvals ? { approvals } : {}),
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await proxy.connect(serverSide);
  const asked: ElicitRequest[] = [];
  const client = new Client(
    { name: 'desk-app', version: '1.0.0' },
    { capabilities: answer ? { elicitation: {} } : {} },
  );
  if (answer) {
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request);
      return typeof answer === 'function' ? answer(request) : answer;
    });
  }
  await client.connect(clientSide);
  cleanup.push(() => client.close());
  return { client, asked };
}

const waitsText = (id: string) =>
  `An operator approves it with \`governor approvals approve ${id} --tenant acme\``;

describe('approvals through the enforcing proxy (server-filesystem, a real SDK host)', () => {
  it('the host approves by elicitation: the write runs once, charged once, the approval USED', async () => {
    const env = await filesystemOnSpentBudget();
    const { client, asked } = await host(env, { action: 'accept', content: { approve: true } });
    const result = await client.callTool(env.write);
    expect(result.isError).toBeFalsy();
    expect(await env.written()).toBe('quarterly numbers');
    expect(asked).toHaveLength(1);
    const [approval] = await env.approvals();
    expect(asked[0]?.params).toMatchObject({
      mode: 'form',
      requestedSchema: { properties: { approve: { type: 'boolean' } }, required: ['approve'] },
    });
    expect(asked[0]?.params.message).toBe(
      `Governor paused the tool call write_file ${JSON.stringify(env.write.arguments)}: the risk-point budget for ${RUN} is spent. Approve it (approval ${approval?.approvalId})?`,
    );
    expect(approval).toMatchObject({ status: 'USED', decidedBy: 'mcp-host:desk-app' });
    // Raised by exactly what the write lacked, spent once.
    expect(await env.ledger.getBudget({ scope: RUN, unit: 'RISK_POINTS' })).toMatchObject({
      allocated: POINTS,
      spent: POINTS,
    });
    await env.settledAfter(POINTS, 1);
  });

  it('a long argument is shortened in the question, not in the call', async () => {
    const env = await filesystemOnSpentBudget();
    const { client, asked } = await host(env, { action: 'accept', content: { approve: true } });
    const content = 'x'.repeat(5_000);
    await client.callTool({ ...env.write, arguments: { ...env.write.arguments, content } });
    expect(asked[0]?.params.message.length).toBeLessThan(700);
    expect(asked[0]?.params.message).toMatch(/x…: the risk-point budget/);
    expect(await env.written()).toBe(content);
    await env.settledAfter(POINTS, 1);
  });

  it.each([
    ['declines', { action: 'decline' } as ElicitResult],
    ['answers no', { action: 'accept', content: { approve: false } } as ElicitResult],
  ])('the host %s: REJECTED, the write never runs, nothing charged', async (_, answer) => {
    const env = await filesystemOnSpentBudget();
    const { client, asked } = await host(env, answer);
    const result = await client.callTool(env.write);
    expect(result.isError).toBe(true);
    const [approval] = await env.approvals();
    expect(textOf(result)).toBe(
      `not executed: write_file was denied — approval ${approval?.approvalId} was rejected by mcp-host:desk-app. Do not call it again.`,
    );
    expect(result._meta?.['governor/denial']).toMatchObject({ reasonCode: 'APPROVAL_REJECTED' });
    expect(asked).toHaveLength(1);
    expect(approval).toMatchObject({ status: 'REJECTED', decidedBy: 'mcp-host:desk-app' });
    expect(await env.written()).toBeUndefined();
    await env.settledAfter(0, 0);
    // Asked again: still rejected, not asked again.
    expect((await client.callTool(env.write)).isError).toBe(true);
    expect(asked).toHaveLength(1);
    expect(await env.written()).toBeUndefined();
  });

  it.each([
    ['cancels the elicitation', { action: 'cancel' } as ElicitResult],
    ['cannot elicit', undefined],
  ])('the host %s: the call waits for an operator; approved, the same call runs once', async (_, answer) => {
    const env = await filesystemOnSpentBudget();
    const { client } = await host(env, answer);
    const paused = await client.callTool(env.write);
    expect(paused.isError).toBe(true);
    const [approval] = await env.approvals();
    if (!approval) throw new Error('no approval');
    expect(approval.status).toBe('PENDING');
    expect(textOf(paused)).toMatch(`not executed yet: write_file waits for approval ${approval.approvalId}`);
    expect(textOf(paused)).toMatch(waitsText(approval.approvalId));
    expect(paused._meta?.['governor/denial']).toMatchObject({
      reasonCode: 'APPROVAL_REQUIRED',
      approvalId: approval.approvalId,
    });
    expect(await env.written()).toBeUndefined();
    await env.settledAfter(0, 0);

    await env.ledger.decideApproval({ tenant: 'acme', approvalId: approval.approvalId, decision: 'APPROVE' });
    expect((await client.callTool(env.write)).isError).toBeFalsy();
    expect(await env.written()).toBe('quarterly numbers');
    await env.settledAfter(POINTS, 1);
    expect(await env.ledger.getApproval('acme', approval.approvalId)).toMatchObject({ status: 'USED' });
    // The approval was for one call: the same call again pauses on a new one and does not run.
    await rm(env.path);
    const again = await client.callTool(env.write);
    expect(again._meta?.['governor/denial']).toMatchObject({ reasonCode: 'APPROVAL_REQUIRED' });
    expect(await env.written()).toBeUndefined();
    await env.settledAfter(POINTS, 1);
  });
});

describe("the proxy's approvals: 'message'", () => {
  it('never asks the host, even one that can elicit: the call waits for an operator', async () => {
    const env = await filesystemOnSpentBudget();
    const { client, asked } = await host(env, { action: 'accept', content: { approve: true } }, 'message');
    const paused = await client.callTool(env.write);
    expect(paused._meta?.['governor/denial']).toMatchObject({ reasonCode: 'APPROVAL_REQUIRED' });
    expect(asked).toEqual([]);
    expect(await env.approvals()).toMatchObject([{ status: 'PENDING' }]);
    expect(await env.written()).toBeUndefined();
    await env.settledAfter(0, 0);
  });
});

describe('approvals through governClient (server-filesystem)', () => {
  it('a paused call says how to approve it; after approval the same call runs once, charged once', async () => {
    const env = await filesystemOnSpentBudget();
    const client = governClient(env.upstream, { governor: env.governor });
    const paused = await client.callTool(env.write);
    expect(paused.isError).toBe(true);
    const [approval] = await env.approvals();
    if (!approval) throw new Error('no approval');
    expect(textOf(paused)).toBe(
      `not executed yet: write_file waits for approval ${approval.approvalId} — the risk-point budget for ${RUN} is spent; approval ${approval.approvalId} is pending. ${waitsText(approval.approvalId)} (or rejects it with \`governor approvals reject ${approval.approvalId} --tenant acme\`); once approved, the same call with the same arguments runs once.`,
    );
    // Asked again before a decision: the same approval, still nothing written or charged.
    await client.callTool(env.write);
    expect(await env.approvals()).toHaveLength(1);
    expect(await env.written()).toBeUndefined();
    await env.settledAfter(0, 0);

    await env.ledger.decideApproval({ tenant: 'acme', approvalId: approval.approvalId, decision: 'APPROVE' });
    expect((await client.callTool(env.write)).isError).toBeFalsy();
    expect(await env.written()).toBe('quarterly numbers');
    await env.settledAfter(POINTS, 1);
    expect(await env.ledger.getApproval('acme', approval.approvalId)).toMatchObject({ status: 'USED' });
  });

  it('rejected by an operator: the call is denied as rejected and never runs', async () => {
    const env = await filesystemOnSpentBudget();
    const client = governClient(env.upstream, { governor: env.governor });
    await client.callTool(env.write);
    const [approval] = await env.approvals();
    if (!approval) throw new Error('no approval');
    await env.ledger.decideApproval({
      tenant: 'acme',
      approvalId: approval.approvalId,
      decision: 'REJECT',
      actor: 'ops:ann',
    });
    const denied = await client.callTool(env.write);
    expect(textOf(denied)).toMatch(`approval ${approval.approvalId} was rejected by ops:ann`);
    expect(await env.written()).toBeUndefined();
    await env.settledAfter(0, 0);
  });
});
