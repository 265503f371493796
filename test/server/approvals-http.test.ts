/**
 * Approvals end to end over HTTP: a governor on HttpAuthority pauses a denied
 * tool call, an operator approves it with the admin key (HttpLedgerAdmin),
 * and the call runs once, charged once. And what a tenant's key may not do.
 */

import {
  ApprovalRequiredError,
  createGovernor,
  governToolCall,
  ManualClock,
  MemoryAuthority,
} from '@governor/core';
import { HttpAuthority, HttpLedgerAdmin } from '@governor/http';
import { createServer, type GovernorServer } from '@governor/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, provisionTenants } from '../support/http-harness.js';

const RUN = 'tenant:acme/workflow:support/run:r1';
const clock = new ManualClock();
const memory = new MemoryAuthority({ clock });
let server: GovernorServer;
let acme: HttpAuthority;
let globex: HttpAuthority;
let admin: HttpLedgerAdmin;

beforeAll(async () => {
  server = await createServer({ authority: memory, adminKey: ADMIN_KEY, rateLimit: false });
  const keys = await provisionTenants(server.store, ['acme', 'globex']);
  const url = await server.listen({ port: 0 });
  acme = new HttpAuthority({ baseUrl: url, apiKey: keys.acme as string });
  globex = new HttpAuthority({ baseUrl: url, apiKey: keys.globex as string });
  admin = new HttpLedgerAdmin({ baseUrl: url, adminKey: ADMIN_KEY });
  await memory.createBudget({ scope: 'tenant:acme', unit: 'RISK_POINTS', allocated: 1_000 });
  await memory.createBudget({ scope: RUN, unit: 'RISK_POINTS', allocated: 20 });
});
afterAll(async () => {
  await Promise.all([acme.close(), globex.close(), admin.dispose()]);
  await server.close();
});

const caught = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('approvals through HttpAuthority', () => {
  it('pauses the denied call, runs it once after an operator approves, charges it once', async () => {
    const governor = createGovernor({
      authority: acme,
      subject: { tenant: 'acme', workflow: 'support', run: 'r1' },
      riskPoints: { rules: [{ name: 'send_email', points: 10 }] },
      loopBreaker: false,
      approvals: { when: [{ tools: ['send_email'] }] },
    });
    const sent: string[] = [];
    const send = (to: string) =>
      governToolCall({ governor }, { name: 'send_email', args: { to } }, () => {
        sent.push(to);
        return `sent to ${to}`;
      });
    await send('a@x');
    await send('b@x');
    const paused = await caught(send('c@x'));
    expect(paused).toBeInstanceOf(ApprovalRequiredError);
    const { approval } = paused as ApprovalRequiredError;
    expect(approval).toMatchObject({ status: 'PENDING', blockedScope: RUN, scopePath: RUN });
    expect(await admin.listApprovals({ status: 'PENDING' })).toEqual([approval]);

    const decided = await admin.decideApproval({
      tenant: 'acme',
      approvalId: approval.approvalId,
      decision: 'APPROVE',
      actor: 'operator:ann',
    });
    expect(decided).toMatchObject({ status: 'APPROVED', decidedBy: 'operator:ann' });
    expect(await send('c@x')).toBe('sent to c@x');
    expect(sent).toEqual(['a@x', 'b@x', 'c@x']);
    expect(await memory.getBudget({ scope: RUN, unit: 'RISK_POINTS' })).toMatchObject({
      allocated: 30,
      spent: 30,
      reserved: 0,
    });
    expect(await admin.getApproval('acme', approval.approvalId)).toMatchObject({ status: 'USED' });
  });

  it("a tenant key cannot decide, nor read another tenant's; what is malformed is never sent", async () => {
    const request = {
      key: 'call-2',
      subject: { tenant: 'acme', run: 'r2' },
      action: { kind: 'tool.call', name: 'send_email' },
      estimate: { unit: 'RISK_POINTS' as const, amount: 10 },
      reasonCode: 'BUDGET_EXCEEDED',
      ttlMs: 60_000,
    };
    const asked = await acme.requestApproval(request);
    expect(asked.subject).toEqual({ tenant: 'acme', run: 'r2' });
    const self = await caught(
      acme.decideApproval({ tenant: 'acme', approvalId: asked.approvalId, decision: 'APPROVE' }),
    );
    expect(self).toMatchObject({ code: 'FORBIDDEN' });
    expect((await memory.getApproval('acme', asked.approvalId)).status).toBe('PENDING');
    expect(await caught(globex.findApproval('acme', 'call-2'))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await caught(globex.getApproval('globex', asked.approvalId))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await globex.findApproval('globex', 'call-2')).toBeUndefined();
    expect((await acme.findApproval('acme', 'call-2'))?.approvalId).toBe(asked.approvalId);
    expect(await globex.listApprovals()).toEqual([]);
    const before = await memory.listApprovals();
    expect(await caught(acme.listApprovals({ limit: 0 }))).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await caught(acme.requestApproval({ ...request, key: 'call-3', ttlMs: 1 }))).toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringMatching(/ttlMs/),
    });
    expect(await memory.listApprovals()).toEqual(before);
    // Expired by the server ledger's clock.
    clock.advance(60_000);
    expect((await acme.getApproval('acme', asked.approvalId)).status).toBe('EXPIRED');
  });
});
