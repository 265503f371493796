import { afterEach, describe } from 'vitest';
import { type ConcurrencyOptions, concurrencyChecks } from './checks/concurrency.js';
import { expiryChecks } from './checks/expiry.js';
import { idempotencyChecks } from './checks/idempotency.js';
import { modelChecks } from './checks/model.js';
import { policyChecks } from './checks/policy.js';
import { queryChecks } from './checks/queries.js';
import { reserveChecks } from './checks/reserve.js';
import { settleChecks } from './checks/settle.js';
import { validationChecks } from './checks/validation.js';
import { type LedgerFactory, type LedgerHarness, TestLedger } from './harness.js';

export interface ConformanceOptions {
  concurrency?: ConcurrencyOptions;
  /** fast-check runs of the model-based check; default 60. */
  modelRuns?: number;
}

/**
 * The ledger conformance suite: every rule of the runtime protocol and of
 * Governor's provisioning plane, checked against a fresh ledger per test,
 * asserting balances and the ledger invariant after the steps, not only the
 * replies. Run it once per Authority implementation:
 *
 *   describeLedgerConformance('MemoryAuthority', async () => {
 *     const clock = new ManualClock();
 *     return { ledger: new MemoryAuthority({ clock }), advanceClock: (ms) => clock.advance(ms) };
 *   });
 */
export function describeLedgerConformance(
  name: string,
  factory: LedgerFactory,
  options: ConformanceOptions = {},
) {
  describe(`ledger conformance: ${name}`, () => {
    const open: LedgerHarness[] = [];
    const fresh = async () => {
      const harness = await factory();
      open.push(harness);
      return new TestLedger(harness);
    };
    afterEach(async () => {
      for (const h of open.splice(0)) await h.close?.();
    });
    describe('validation', () => validationChecks(fresh));
    describe('scopes and reserve', () => reserveChecks(fresh));
    describe('commit, release, events', () => settleChecks(fresh));
    describe('expiry', () => expiryChecks(fresh));
    describe('idempotency', () => idempotencyChecks(fresh));
    describe('provisioning and policy', () => policyChecks(fresh));
    describe('balances and listing', () => queryChecks(fresh));
    describe('concurrency', () => concurrencyChecks(fresh, options.concurrency));
    describe('model-based', () => modelChecks(fresh, { runs: options.modelRuns ?? 60 }));
  });
}
