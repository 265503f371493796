/**
 * `@governor/core/testing`: the conformance suite every Authority must pass,
 * and the ledger invariant it asserts. Needs `vitest` and `fast-check`.
 */

export { allAuditRecords, assertAuditReplays } from './audit-invariant.js';
export type { FaultFigures } from './checks/faults.js';
export type { FuzzFigures } from './checks/fuzz.js';
export { type ConformanceOptions, describeLedgerConformance, describeLedgerFaults } from './conformance.js';
export { expectError } from './expect-error.js';
export {
  type LedgerFactory,
  type LedgerHarness,
  type LedgerTestOptions,
  TestLedger,
} from './harness.js';
export { assertLedgerInvariant, LedgerInvariantError } from './invariant.js';
