/**
 * Approvals over HTTP: a tenant's key asks and reads its own tenant's, the
 * admin key lists and decides every tenant's, and the approved call is
 * admitted once by the reserve. Outcomes are read from the ledger.
 */
import { type ApprovalLedger, MemoryAuthority } from '@governor/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, reserveBody, startTestServer, type TestServer } from './support.js';

const USD = 'USD_MICROCENTS';
const RUN = 'tenant:acme/workflow:support/run:r1';
const HOUR = 3_600_000;
let t: TestServer;
const approvals = () => t.ledger as unknown as ApprovalLedger;

const askBody = (key: string, over: Record<string, unknown> = {}) => ({
  key,
  subject: { tenant: 'acme', workflow: 'support', dimensions: { run: 'r1' } },
  action: { kind: 'tool.call', name: 'send_email' },
  estimate: { unit: USD, amount: 60 },
  reason_code: 'BUDGET_EXCEEDED',
  blocked_scope: RUN,
  ttl_ms: HOUR,
  ...over,
});

const ask = (key: string, over: Record<string, unknown> = {}, tenantKey = 'acme') =>
  t.req('POST', '/v1/approvals', { key: tenantKey, body: askBody(key, over) });
const asAdmin = (method: string, path: string, body?: unknown) =>
  t.req(method, path, { key: null, headers: admin(), ...(body !== undefined ? { body } : {}) });

beforeAll(async () => {
  t = await startTestServer();
  await t.ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 1_000 });
  await t.ledger.createBudget({ scope: RUN, unit: USD, allocated: 100 });
});
afterAll(() => t.close());

describe('approvals over HTTP', () => {
  it('a tenant key asks once per key; the admin approves; the reserve with it is admitted once', async () => {
    const first = await ask('call-1');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      status: 'PENDING',
      tenant: 'acme',
      scope_path: RUN,
      blocked_scope: RUN,
      reason_code: 'BUDGET_EXCEEDED',
      subject: { tenant: 'acme', workflow: 'support', dimensions: { run: 'r1' } },
    });
    const id = first.body.approval_id as string;
    expect((await ask('call-1')).body.approval_id).toBe(id);
    expect((await approvals().listApprovals({ tenant: 'acme' })).map((a) => a.approvalId)).toEqual([id]);

    // The tenant key may not decide (default): nothing changes.
    const self = await t.req('POST', `/v1/approvals/${id}/approve`, { body: {} });
    expect(self.status).toBe(403);
    expect(self.body.error).toBe('FORBIDDEN');
    expect((await approvals().getApproval('acme', id)).status).toBe('PENDING');

    const approved = await asAdmin('POST', `/v1/admin/approvals/${id}/approve`, {
      tenant: 'acme',
      note: 'one more is fine',
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      status: 'APPROVED',
      decided_by: 'admin',
      note: 'one more is fine',
    });

    await t.req('POST', '/v1/reservations', {
      body: reserveBody({
        subject: askBody('x').subject,
        action: askBody('x').action,
        estimate: { unit: USD, amount: 60 },
      }),
    });
    const admitted = await t.req('POST', '/v1/reservations', {
      body: reserveBody({
        subject: askBody('x').subject,
        action: askBody('x').action,
        estimate: { unit: USD, amount: 60 },
        metadata: { 'governor.approval': id },
      }),
    });
    expect(admitted.status).toBe(200);
    expect(admitted.body.decision).toBe('ALLOW');
    expect(await approvals().getApproval('acme', id)).toMatchObject({
      status: 'USED',
      reservationId: admitted.body.reservation_id,
    });
    // 40 of the run's 100 were left after the first 60: raised by the 20 the call lacked.
    expect(await t.ledger.getBudget({ scope: RUN, unit: USD })).toMatchObject({
      allocated: 120,
      reserved: 120,
      remaining: 0,
    });
    const seen = await t.req('GET', `/v1/approvals/${id}`);
    expect(seen.body).toMatchObject({ status: 'USED', reservation_id: admitted.body.reservation_id });
  });

  it('records the decider: the admin, or the actor the operator names; the trail says who', async () => {
    const id = (await ask('call-actor')).body.approval_id;
    const rejected = await asAdmin('POST', `/v1/admin/approvals/${id}/reject`, {
      tenant: 'acme',
      actor: 'operator:bob',
      note: 'not this week',
    });
    expect(rejected.body).toMatchObject({
      status: 'REJECTED',
      decided_by: 'operator:bob',
      note: 'not this week',
    });
    const trail = await (t.ledger as MemoryAuthority).queryAudit({
      tenant: 'acme',
      operation: 'approval.reject',
    });
    expect(trail.records.at(-1)).toMatchObject({
      actor: 'admin',
      detail: { approvalId: id, decidedBy: 'operator:bob' },
    });
    const request = await (t.ledger as MemoryAuthority).queryAudit({
      tenant: 'acme',
      operation: 'approval.request',
    });
    expect(request.records.at(-1)?.actor).toMatch(/^key:[0-9a-f]{16}$/);
    // Decided once: approving a rejected approval is refused and changes nothing.
    const again = await asAdmin('POST', `/v1/admin/approvals/${id}/approve`, { tenant: 'acme' });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({
      error: 'INVALID_REQUEST',
      message: expect.stringMatching(/REJECTED/),
    });
    expect((await approvals().getApproval('acme', id)).status).toBe('REJECTED');
  });

  it('a tenant key sees only its own tenant: another tenant named is 403, another tenant id is 404', async () => {
    const id = (await ask('call-private')).body.approval_id;
    expect((await t.req('GET', `/v1/approvals/${id}`, { key: 'globex' })).status).toBe(404);
    expect((await t.req('GET', `/v1/approvals/${id}?tenant=acme`, { key: 'globex' })).status).toBe(403);
    expect((await t.req('GET', '/v1/approvals?tenant=acme', { key: 'globex' })).status).toBe(403);
    expect((await t.req('GET', '/v1/approvals/lookup?key=call-private', { key: 'globex' })).status).toBe(404);
    const other = await ask('call-x', {}, 'globex');
    expect(other.status).toBe(403);
    expect(other.body.message).toMatch(/acme is not the tenant of this API key/);
    const globexOwn = await t.req('GET', '/v1/approvals', { key: 'globex' });
    expect(globexOwn.body).toEqual({ approvals: [] });
    expect((await t.req('GET', '/v1/approvals', { key: null })).status).toBe(401);
    expect((await t.req('GET', '/v1/admin/approvals', { key: null })).status).toBe(401);
    // The admin key sees every tenant's, filtered by status.
    const pending = await asAdmin('GET', '/v1/admin/approvals?status=PENDING');
    expect(pending.body.approvals.map((a: { approval_id: string }) => a.approval_id)).toContain(id);
    expect(pending.body.approvals.every((a: { status: string }) => a.status === 'PENDING')).toBe(true);
    const found = await t.req('GET', '/v1/approvals/lookup?key=call-private');
    expect(found.body.approval_id).toBe(id);
    expect(
      (await asAdmin('GET', `/v1/admin/approvals/lookup?tenant=acme&key=call-private`)).body.approval_id,
    ).toBe(id);
  });

  it.each([
    ['ttl_ms', () => ask('v1', { ttl_ms: 5 })],
    ['ttlMs', () => ask('v2', { ttlMs: HOUR })],
    ['estimate.amount', () => ask('v3', { estimate: { unit: USD, amount: -1 } })],
    ['subject.tenant', () => ask('v4', { subject: { tenant: '' } })],
    ['status', () => asAdmin('GET', '/v1/admin/approvals?status=DONE')],
    ['limit', () => asAdmin('GET', '/v1/admin/approvals?limit=lots')],
    ['approval_id', () => asAdmin('GET', '/v1/admin/approvals/nope?tenant=acme')],
    ['tenant', () => asAdmin('GET', '/v1/admin/approvals/apr_1')],
    ['tenant', () => asAdmin('POST', '/v1/admin/approvals/apr_1/approve', {})],
    ['key', () => t.req('GET', '/v1/approvals/lookup')],
    [
      'decision',
      () => asAdmin('POST', '/v1/admin/approvals/apr_1/approve', { tenant: 'acme', decision: 'X' }),
    ],
  ])('a bad %s is 400 INVALID_REQUEST naming it', async (field, send) => {
    const before = await approvals().listApprovals();
    const reply = await send();
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBe('INVALID_REQUEST');
    expect(reply.body.message).toContain(field);
    expect(await approvals().listApprovals()).toEqual(before);
  });

  it('a missing approval is 404 NOT_FOUND; an expired one cannot be approved (ledger clock)', async () => {
    const missing = await asAdmin('POST', '/v1/admin/approvals/apr_missing/approve', { tenant: 'acme' });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('NOT_FOUND');
    expect((await t.req('GET', '/v1/approvals/lookup?key=never-asked')).body).toMatchObject({
      error: 'NOT_FOUND',
      details: { tenant: 'acme', key: 'never-asked' },
    });
    const id = (await ask('call-late')).body.approval_id;
    t.clock.advance(HOUR);
    const late = await asAdmin('POST', `/v1/admin/approvals/${id}/approve`, { tenant: 'acme' });
    expect(late.status).toBe(400);
    expect(late.body.message).toMatch(/EXPIRED/);
    expect((await asAdmin('GET', `/v1/admin/approvals/${id}?tenant=acme`)).body.status).toBe('EXPIRED');
  });
});

describe('approvals when tenant keys may decide', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ tenantKeysDecideApprovals: true, authority: new MemoryAuthority() });
  });
  afterAll(() => s.close());

  it("a tenant key approves its own tenant's approval as key:<id>, never another tenant's", async () => {
    const asked = await s.req('POST', '/v1/approvals', { body: askBody('call-host') });
    const id = asked.body.approval_id;
    expect((await s.req('POST', `/v1/approvals/${id}/approve`, { key: 'globex', body: {} })).status).toBe(
      404,
    );
    expect(
      (await s.req('POST', `/v1/approvals/${id}/approve`, { key: 'globex', body: { tenant: 'acme' } }))
        .status,
    ).toBe(403);
    const approved = await s.req('POST', `/v1/approvals/${id}/approve`, { body: { actor: 'mcp-host:desk' } });
    expect(approved.body).toMatchObject({ status: 'APPROVED', decided_by: 'mcp-host:desk' });
    const other = (await s.req('POST', '/v1/approvals', { body: askBody('call-host-2') })).body.approval_id;
    const byKey = await s.req('POST', `/v1/approvals/${other}/reject`, {});
    expect(byKey.body).toMatchObject({ status: 'REJECTED', decided_by: expect.stringMatching(/^key:/) });
  });
});
