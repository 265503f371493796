import { afterEach, describe } from 'vitest';
import { approvalChecks } from './checks/approvals.js';
import { auditChecks } from './checks/audit.js';
import { type ConcurrencyOptions, concurrencyChecks } from './checks/concurrency.js';
import { expiryChecks } from './checks/expiry.js';
import { type FaultFigures, faultChecks } from './checks/faults.js';
import { type FuzzFigures, fuzzChecks } from './checks/fuzz.js';
import { idempotencyChecks } from './checks/idempotency.js';
import { liveLimitChecks, replayWindowChecks } from './checks/limits.js';
import { modelChecks } from './checks/model.js';
import { payloadChecks } from './checks/payload.js';
import { periodChecks } from './checks/periods.js';
import { policyChecks } from './checks/policy.js';
import { queryChecks } from './checks/queries.js';
import { rateLimitChecks } from './checks/rate-limits.js';
import { reserveChecks } from './checks/reserve.js';
import { settleChecks } from './checks/settle.js';
import { traceChecks } from './checks/traces.js';
import { validationChecks } from './checks/validation.js';
import { type LedgerFactory, type LedgerHarness, type LedgerTestOptions, TestLedger } from './harness.js';

export interface ConformanceOptions {
  concurrency?: ConcurrencyOptions;
  /** fast-check runs of the model-based check; default 60. */
  modelRuns?: number;
  /** fast-check runs of the fault model check (lost answers, timeouts, restarts); default 15. */
  faultRuns?: number;
  /** The ledger supports budget periods (BudgetDefinition.period): check them; default true. */
  periods?: boolean;
  /** The ledger enforces rate limits and the loop breaker: check them; default true. */
  rateLimits?: boolean;
  /** The ledger keeps an audit trail (AuditTrail): check it; default true. */
  audit?: boolean;
  /** The ledger keeps approvals (ApprovalLedger): check them; default true. */
  approvals?: boolean;
  /** Figures of the fuzz and fault checks, when they have run (default: printed). */
  report?: (figures: { fuzz?: FuzzFigures; faults?: FaultFigures }) => void;
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
    const fresh = freshLedgers(factory);
    describe('validation', () => validationChecks(fresh));
    describe('scopes and reserve', () => reserveChecks(fresh));
    describe('commit, release, events', () => settleChecks(fresh));
    describe('expiry', () => expiryChecks(fresh));
    describe('idempotency', () => idempotencyChecks(fresh));
    describe('provisioning and policy', () => policyChecks(fresh));
    describe('balances and listing', () => queryChecks(fresh));
    if (options.periods !== false) describe('budget periods', () => periodChecks(fresh));
    describe('concurrency', () => concurrencyChecks(fresh, options.concurrency));
    describe('model-based', () => modelChecks(fresh, { runs: options.modelRuns ?? 60 }));
    if (options.audit !== false) describe('audit trail', () => auditChecks(fresh));
    if (options.approvals !== false)
      describe('approvals', () =>
        approvalChecks(fresh, { audit: options.audit, rateLimits: options.rateLimits }));
    if (options.rateLimits !== false)
      describe('rate limits and loop breaker', () => rateLimitChecks(fresh, { audit: options.audit }));
    const report =
      options.report ?? ((figures: object) => console.info(`${name}: ${JSON.stringify(figures)}`));
    describe('malformed input', () => {
      payloadChecks(fresh);
      fuzzChecks(fresh, (fuzz) => report({ fuzz }));
    });
    describe('bounds on state', () => {
      liveLimitChecks(fresh);
      replayWindowChecks(fresh);
      traceChecks(fresh);
    });
    describe('model-based with faults', () =>
      faultChecks(fresh, { runs: options.faultRuns ?? 15, report: (faults) => report({ faults }) }));
  });
}

/** A fresh TestLedger per call from `factory`, each closed after its test. */
function freshLedgers(factory: LedgerFactory) {
  const open: LedgerHarness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close?.();
  });
  return async (ledgerOptions?: LedgerTestOptions) => {
    const harness = await factory(ledgerOptions);
    open.push(harness);
    return new TestLedger(harness);
  };
}

/**
 * The fault model check on its own, for a harness that can restart its
 * ledger where the conformance run's cannot (e.g. a Redis server of the
 * test's own, restarted with kill -9).
 */
export function describeLedgerFaults(
  name: string,
  factory: LedgerFactory,
  options: { runs?: number; steps?: number; report?: (figures: FaultFigures) => void } = {},
) {
  describe(`ledger faults: ${name}`, () => {
    const report =
      options.report ?? ((f: FaultFigures) => console.info(`${name}: ${JSON.stringify({ faults: f })}`));
    faultChecks(freshLedgers(factory), { ...options, report });
  });
}
