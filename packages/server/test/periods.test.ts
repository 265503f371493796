/** Budget periods on the admin plane: snake_case in and out, the policy file's syntax through apply. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { admin, startTestServer, type TestServer } from './support.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

it('creates a budget with a monthly period in a time zone and a rollover, and reports its period', async () => {
  const r = await t.req('POST', '/v1/admin/budgets', {
    key: null,
    headers: admin(),
    body: {
      scope: 'tenant:acme',
      unit: 'USD_MICROCENTS',
      allocated: 1_000,
      period: { monthly: { day: 1, time_zone: 'Europe/Paris' } },
      rollover: 'carry_forward',
    },
  });
  expect(r.status).toBe(201);
  expect(r.body).toMatchObject({
    period: { monthly: { day: 1, time_zone: 'Europe/Paris' } },
    rollover: 'carry_forward',
    period_start_ms: Date.UTC(2025, 11, 31, 23),
    period_end_ms: Date.UTC(2026, 0, 31, 23),
  });
});

it('applies a policy file with periods (`period: 1d`, `{ monthly, timeZone }`), and refuses a bad one', async () => {
  const policy = {
    budgets: [
      { scope: 'tenant:globex', unit: 'TOKENS', allocated: 500, period: '1d', rollover: 'cap_at_allocated' },
    ],
    templates: [
      {
        match: 'tenant:*/run:*',
        unit: 'TOKENS',
        allocated: 50,
        period: { monthly: 15, time_zone: 'America/New_York' },
      },
    ],
  };
  const r = await t.req('POST', '/v1/admin/policies/apply', { key: null, headers: admin(), body: policy });
  expect(r.status).toBeLessThan(300);
  expect(await t.ledger.getBudget({ scope: 'tenant:globex', unit: 'TOKENS' })).toMatchObject({
    period: { every: '1d' },
    rollover: 'cap_at_allocated',
    periodEndMs: Date.UTC(2026, 0, 2),
  });
  expect(await t.ledger.listTemplates()).toContainEqual(
    expect.objectContaining({ period: { monthly: { day: 15, timeZone: 'America/New_York' } } }),
  );
  const bad = await t.req('POST', '/v1/admin/policies/apply', {
    key: null,
    headers: admin(),
    body: { budgets: [{ scope: 'tenant:globex', unit: 'CREDITS', allocated: 1, period: 'daily' }] },
  });
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body)).toContain('duration');
});
