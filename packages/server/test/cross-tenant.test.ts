/**
 * Every runtime operation tried with another tenant's key is refused, and so is
 * every admin operation tried with a tenant's key: table-driven, nothing changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, reserveBody, startTestServer, type TestServer } from './support.js';

let t: TestServer;
let acmeReservation: string;

beforeAll(async () => {
  t = await startTestServer();
  await t.ledger.createBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: 1_000 });
  await t.ledger.createBudget({ scope: 'tenant:globex', unit: 'USD_MICROCENTS', allocated: 1_000 });
  const r = await t.req('POST', '/v1/reservations', { body: reserveBody() });
  acmeReservation = r.body.reservation_id;
});
afterAll(() => t.close());

const action = { kind: 'llm.completion', name: 'm' };
const amount = { unit: 'USD_MICROCENTS', amount: 1 };

/** Runtime operations on acme's things, sent with globex's key. */
const RUNTIME: [string, string, () => string, unknown?][] = [
  ['reserve', 'POST', () => '/v1/reservations', reserveBody()],
  ['dry-run reserve', 'POST', () => '/v1/reservations', reserveBody({ dry_run: true })],
  [
    'decide',
    'POST',
    () => '/v1/decide',
    { idempotency_key: 'x-1', subject: { tenant: 'acme' }, action, estimate: amount },
  ],
  [
    'event',
    'POST',
    () => '/v1/events',
    { idempotency_key: 'x-2', subject: { tenant: 'acme' }, action, actual: amount },
  ],
  [
    'commit',
    'POST',
    () => `/v1/reservations/${acmeReservation}/commit`,
    { idempotency_key: 'x-3', actual: amount },
  ],
  ['release', 'POST', () => `/v1/reservations/${acmeReservation}/release`, { idempotency_key: 'x-4' }],
  [
    'extend',
    'POST',
    () => `/v1/reservations/${acmeReservation}/extend`,
    { idempotency_key: 'x-5', extend_by_ms: 1_000 },
  ],
  ['get reservation', 'GET', () => `/v1/reservations/${acmeReservation}`],
  ['list reservations', 'GET', () => '/v1/reservations?tenant=acme'],
  ['balances', 'GET', () => '/v1/balances?tenant=acme'],
];

/** Admin operations, sent with a tenant's API key (as X-Cycles-API-Key and as X-Admin-API-Key). */
const ADMIN: [string, string, string, unknown?][] = [
  ['create tenant', 'POST', '/v1/admin/tenants', { tenant_id: 'evil' }],
  ['list tenants', 'GET', '/v1/admin/tenants'],
  ['get tenant', 'GET', '/v1/admin/tenants/acme'],
  ['suspend tenant', 'POST', '/v1/admin/tenants/acme/suspend'],
  ['close tenant', 'POST', '/v1/admin/tenants/acme/close'],
  ['create key', 'POST', '/v1/admin/tenants/acme/api-keys', {}],
  ['list keys', 'GET', '/v1/admin/tenants/acme/api-keys'],
  ['revoke key', 'POST', '/v1/admin/api-keys/0123456789abcdef/revoke'],
  [
    'create budget',
    'POST',
    '/v1/admin/budgets',
    { scope: 'tenant:acme/app:x', unit: 'TOKENS', allocated: 1 },
  ],
  ['list budgets', 'GET', '/v1/admin/budgets?tenant=acme'],
  [
    'fund budget',
    'POST',
    '/v1/admin/budgets/fund',
    { scope: 'tenant:acme', unit: 'USD_MICROCENTS', operation: 'CREDIT', amount: 1, idempotency_key: 'f' },
  ],
  ['freeze budget', 'POST', '/v1/admin/budgets/freeze', { scope: 'tenant:acme', unit: 'USD_MICROCENTS' }],
  ['close budget', 'POST', '/v1/admin/budgets/close', { scope: 'tenant:acme', unit: 'USD_MICROCENTS' }],
  ['apply policy', 'POST', '/v1/admin/policies/apply', { budgets: [] }],
  ['metrics', 'GET', '/metrics'],
];

describe('cross-tenant: refused, nothing changes', () => {
  it.each(RUNTIME)('%s on acme with globex’s key is 403', async (_name, method, path, body) => {
    const before = await t.ledger.listBudgets();
    const r = await t.req(method, path(), { key: 'globex', ...(body !== undefined ? { body } : {}) });
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('FORBIDDEN');
    expect(await t.ledger.listBudgets()).toEqual(before);
    expect((await t.ledger.getReservation(acmeReservation)).status).toBe('ACTIVE');
  });

  it.each(ADMIN)('%s with a tenant key is 401', async (_name, method, path, body) => {
    const before = [await t.ledger.listBudgets(), await t.server.store.listTenants()];
    for (const headers of [{}, { 'x-admin-api-key': t.keys.acme as string }] as Record<string, string>[]) {
      const r = await t.req(method, path, { key: 'acme', headers, ...(body !== undefined ? { body } : {}) });
      expect(r.status).toBe(401);
    }
    expect([await t.ledger.listBudgets(), await t.server.store.listTenants()]).toEqual(before);
  });

  it('the admin key works on the admin plane (control)', async () => {
    const r = await t.req('GET', '/v1/admin/budgets?tenant=acme', { key: null, headers: admin() });
    expect(r.status).toBe(200);
    expect(r.body.budgets).toHaveLength(1);
  });
});
