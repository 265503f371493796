import { expect, it } from 'vitest';
import type { InvalidRequestError } from '../../errors.js';
import { MAX_AMOUNT } from '../../protocol/types.js';
import { expectError } from '../expect-error.js';
import { key, SCOPES, SUBJECT, type TestLedger, USD_UNIT } from '../harness.js';

// Requests built wrong on purpose: any field may hold anything.
// biome-ignore lint/suspicious/noExplicitAny: malformed input is the point of these checks
type Loose = Record<string, any>;

const base = () => ({
  idempotencyKey: key(),
  subject: { ...SUBJECT },
  action: { kind: 'llm.completion', name: 'gpt-4o-mini' },
  estimate: { unit: USD_UNIT, amount: 10 },
});

/** Invalid requests: each a typed INVALID_REQUEST naming field and rule; none reaches the ledger. */
export function validationChecks(fresh: () => Promise<TestLedger>) {
  const rejects = (name: string, mutate: (r: Loose) => void, message: string) =>
    it(`rejects ${name}`, async () => {
      const t = await fresh();
      await t.budgets(1000, 1000, 1000);
      const request = base() as Loose;
      mutate(request);
      const error = (await expectError(
        t.ledger.reserve(request as never),
        'INVALID_REQUEST',
      )) as InvalidRequestError;
      expect(error.status).toBe(400);
      expect(error.message).toContain(message);
      expect(error.issues.length).toBeGreaterThan(0);
      for (const scope of SCOPES) expect(await t.remaining(scope)).toBe(1000);
      expect((await t.ledger.listReservations({})).reservations).toHaveLength(0);
      await t.check();
    });

  rejects(
    'a tenant outside the charset',
    (r) => (r.subject.tenant = 'acme corp'),
    'subject.tenant: must match ^[a-zA-Z0-9_.-]+$',
  );
  rejects('a subject without tenant', (r) => delete r.subject.tenant, 'subject.tenant: is required');
  rejects(
    'a level value over 128 characters',
    (r) => (r.subject.agent = 'a'.repeat(129)),
    'subject.agent: must be at most 128 characters',
  );
  rejects(
    '`run` smuggled into dimensions',
    (r) => (r.subject.dimensions = { run: 'x' }),
    'subject.dimensions: must not contain `run`',
  );
  rejects(
    'a negative amount',
    (r) => (r.estimate.amount = -1),
    'estimate.amount: must be a non-negative safe integer',
  );
  rejects(
    'a fractional amount',
    (r) => (r.estimate.amount = 1.5),
    'estimate.amount: must be a non-negative safe integer',
  );
  rejects(
    'an amount past MAX_SAFE_INTEGER',
    (r) => (r.estimate.amount = MAX_AMOUNT + 2),
    'estimate.amount: must be a non-negative safe integer',
  );
  rejects(
    'an amount given as a string',
    (r) => (r.estimate.amount = '10'),
    'estimate.amount: must be a non-negative safe integer',
  );
  rejects(
    'an unknown unit',
    (r) => (r.estimate.unit = 'USD'),
    'estimate.unit: must be one of USD_MICROCENTS, TOKENS, CREDITS, RISK_POINTS',
  );
  rejects('a TTL below 1 s', (r) => (r.ttlMs = 999), 'ttlMs: must be an integer from 1000 to 86400000');
  rejects(
    'a TTL above 24 h',
    (r) => (r.ttlMs = 86_400_001),
    'ttlMs: must be an integer from 1000 to 86400000',
  );
  rejects(
    'a grace period above 60 s',
    (r) => (r.gracePeriodMs = 60_001),
    'gracePeriodMs: must be an integer from 0 to 60000',
  );
  rejects(
    'an action name over 256 characters',
    (r) => (r.action.name = 'n'.repeat(257)),
    'action.name: must be at most 256 characters',
  );
  rejects(
    'an action kind over 64 characters',
    (r) => (r.action.kind = 'k'.repeat(65)),
    'action.kind: must be at most 64 characters',
  );
  rejects(
    'more than 10 tags',
    (r) => (r.action.tags = Array.from({ length: 11 }, (_, i) => `t${i}`)),
    'action.tags: must have at most 10 items',
  );
  rejects('an empty idempotency key', (r) => (r.idempotencyKey = ''), 'idempotencyKey: must not be empty');
  rejects(
    'an idempotency key over 256 characters',
    (r) => (r.idempotencyKey = 'k'.repeat(257)),
    'idempotencyKey: must be at most 256 characters',
  );
  rejects('an unknown field', (r) => (r.ttl = 5000), 'ttl: is not a known field');
  rejects(
    'an unknown overage policy',
    (r) => (r.overagePolicy = 'YOLO'),
    'overagePolicy: must be one of REJECT, ALLOW_IF_AVAILABLE, ALLOW_WITH_OVERDRAFT',
  );

  it('lists every problem of a request at once', async () => {
    const t = await fresh();
    const error = (await expectError(
      t.ledger.reserve({
        idempotencyKey: '',
        subject: { tenant: '' },
        action: {},
        estimate: { unit: 'X', amount: -1 },
      } as never),
      'INVALID_REQUEST',
    )) as InvalidRequestError;
    const paths = error.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'idempotencyKey',
        'subject.tenant',
        'action.kind',
        'action.name',
        'estimate.unit',
        'estimate.amount',
      ]),
    );
  });

  it('validates commit, release, extend, event, decide, balances and list inputs', async () => {
    const t = await fresh();
    await t.budgets(1000);
    const id = await t.reserveId(10);
    await expectError(
      t.ledger.commit(id, { idempotencyKey: key(), actual: { unit: USD_UNIT, amount: -5 } }),
      'INVALID_REQUEST',
      'actual.amount',
    );
    await expectError(
      t.ledger.commit('', { idempotencyKey: key(), actual: { unit: USD_UNIT, amount: 5 } }),
      'INVALID_REQUEST',
      'reservationId: must not be empty',
    );
    await expectError(
      t.ledger.release(id, { idempotencyKey: key(), reason: 'r'.repeat(257) }),
      'INVALID_REQUEST',
      'reason: must be at most 256 characters',
    );
    await expectError(
      t.ledger.extend(id, { idempotencyKey: key(), extendByMs: 0 }),
      'INVALID_REQUEST',
      'extendByMs: must be an integer from 1 to 86400000',
    );
    await expectError(
      t.ledger.event({ ...base(), actual: { unit: USD_UNIT, amount: 1.25 } } as never),
      'INVALID_REQUEST',
      'is not a known field',
    );
    await expectError(
      t.ledger.decide({ ...base(), estimate: { unit: USD_UNIT, amount: -1 } }),
      'INVALID_REQUEST',
      'estimate.amount',
    );
    await expectError(t.ledger.balances({}), 'INVALID_REQUEST', 'must filter on at least one of tenant');
    await expectError(
      t.ledger.listReservations({ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }),
      'INVALID_REQUEST',
      'from: must not be after `to`',
    );
    await expectError(
      t.ledger.listReservations({ limit: 201 }),
      'INVALID_REQUEST',
      'limit: must be an integer from 1 to 200',
    );
    await expectError(
      t.ledger.createBudget({ scope: 'workflow:x', unit: USD_UNIT, allocated: 1 }),
      'INVALID_REQUEST',
      'must start with tenant',
    );
    await expectError(
      t.ledger.createBudget({ scope: 'tenant:a/agent:b/workflow:c', unit: USD_UNIT, allocated: 1 }),
      'INVALID_REQUEST',
      'out of canonical order',
    );
    expect(await t.remaining(SCOPES[0])).toBe(990);
    await t.check();
  });
}
