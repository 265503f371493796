/**
 * `@governor/core/testing`: the conformance suite every Authority must pass,
 * and the ledger invariant it asserts. Needs `vitest` and `fast-check`.
 */
export { type ConformanceOptions, describeLedgerConformance } from './conformance.js';
export { expectError } from './expect-error.js';
export { type LedgerFactory, type LedgerHarness, TestLedger } from './harness.js';
export { assertLedgerInvariant, LedgerInvariantError } from './invariant.js';
