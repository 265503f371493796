import { expect, it } from 'vitest';
import type { Ledger } from '../../authority.js';
import { GovernorError } from '../../errors.js';
import type { ErrorCode } from '../../protocol/types.js';
import { type FreshLedger, key, SCOPES, SUBJECT, USD_UNIT } from '../harness.js';

const action = { kind: 'tool.call', name: 'send_email' };
const usd = (amount: number) => ({ unit: USD_UNIT, amount });

/** Requests every ledger must reject, each with the code it gets; `i` makes each one new. */
export const REJECTED: [name: string, code: ErrorCode, call: (l: Ledger, i: number) => Promise<unknown>][] = [
  [
    'reserve, no budget (a template for other scopes)',
    'NOT_FOUND',
    (l, i) => l.reserve({ idempotencyKey: key(), subject: { tenant: `t-${i}` }, action, estimate: usd(1) }),
  ],
  [
    'reserve, no budget, a tenant too long to embed in ids',
    'NOT_FOUND',
    (l, i) =>
      l.reserve({
        idempotencyKey: key(),
        subject: { tenant: `${'long'.repeat(25)}-${i}`, workflow: 'support' },
        action,
        estimate: usd(1),
      }),
  ],
  [
    'event, no budget',
    'NOT_FOUND',
    (l, i) => l.event({ idempotencyKey: key(), subject: { tenant: `e-${i}` }, action, actual: usd(1) }),
  ],
  [
    'reserve, unit mismatch',
    'UNIT_MISMATCH',
    (l) =>
      l.reserve({ idempotencyKey: key(), subject: SUBJECT, action, estimate: { unit: 'TOKENS', amount: 1 } }),
  ],
  [
    'reserve, tenant over 128 characters',
    'INVALID_REQUEST',
    (l, i) =>
      l.reserve({
        idempotencyKey: key(),
        subject: { tenant: `${'x'.repeat(129)}${i}` },
        action,
        estimate: usd(1),
      }),
  ],
  [
    'reserve, metadata with a BigInt',
    'INVALID_REQUEST',
    (l, i) =>
      l.reserve({
        idempotencyKey: key(),
        subject: { tenant: `m-${i}` },
        action,
        estimate: usd(1),
        metadata: { n: BigInt(i) },
      }),
  ],
  [
    'commit of an unknown reservation',
    'NOT_FOUND',
    (l, i) =>
      l.commit(`rsv_acme.00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, {
        idempotencyKey: key(),
        actual: usd(1),
      }),
  ],
  [
    'release of an unknown long-tenant reservation',
    'NOT_FOUND',
    (l, i) =>
      l.release(`rsv_~00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, { idempotencyKey: key() }),
  ],
  [
    'extend of an unknown reservation',
    'NOT_FOUND',
    (l, i) => l.extend(`rsv_${i}`, { idempotencyKey: key(), extendByMs: 1 }),
  ],
  [
    'fund of a missing budget',
    'NOT_FOUND',
    (l, i) => l.fund({ scope: `tenant:f-${i}`, unit: USD_UNIT, amount: 1 }),
  ],
  ['freeze of a missing budget', 'NOT_FOUND', (l, i) => l.freeze({ scope: `tenant:z-${i}`, unit: USD_UNIT })],
  [
    'a duplicate budget',
    'INVALID_REQUEST',
    (l) => l.createBudget({ scope: SCOPES[0], unit: USD_UNIT, allocated: 5 }),
  ],
];

/** A request rejected as invalid or not found leaves nothing behind: no key, no row, no tenant. */
export function traceChecks(fresh: FreshLedger) {
  it('leaves no trace after 1,200 rejected requests of 12 kinds, with a template configured', async () => {
    const t = await fresh();
    await t.budgets(1000, 1000, 1000);
    await t.ledger.addTemplate({ match: 'tenant:*/workflow:support/run:*', unit: USD_UNIT, allocated: 100 });
    await t.reserveId(10);
    const footprint = await t.h.footprint?.();
    const budgets = await t.ledger.listBudgets();
    let n = 0;
    for (let i = 0; i < 100; i++) {
      for (const [name, code, call] of REJECTED) {
        let caught: unknown;
        try {
          await call(t.ledger, i);
        } catch (error) {
          caught = error;
        }
        expect(GovernorError.isInstance(caught), name).toBe(true);
        // An authority in front of the ledger (a server) may refuse other tenants first: FORBIDDEN.
        expect([code, 'FORBIDDEN'], `${name}: ${(caught as GovernorError).message}`).toContain(
          (caught as GovernorError).code,
        );
        n += 1;
      }
    }
    expect(n).toBe(100 * REJECTED.length);
    if (t.h.footprint) expect(await t.h.footprint()).toEqual(footprint);
    expect(await t.ledger.listBudgets()).toEqual(budgets);
    expect((await t.ledger.listReservations({})).reservations).toHaveLength(1);
    await t.check();
  });
}
