/**
 * MemoryAuthority benchmarks: reserve+commit pairs on a 3-scope subject
 * (tenant / workflow / run, each with a big budget), sequentially and with 16
 * and 64 concurrent async workers, plus the latency of one pair.
 */
import { MemoryAuthority } from '@governor/core';
import {
  type LedgerFactory,
  latencyScenario,
  NAIVE_BASELINE,
  type Scenario,
  throughputScenario,
} from './harness.js';
import { naiveFactory } from './naive.js';

/** A fresh embedded ledger on the system clock, with its default retention bounds. */
export const memoryFactory: LedgerFactory = async () => {
  const ledger = new MemoryAuthority();
  return { authority: ledger, admin: ledger };
};

/** The same ledger without balances in its answers (the protocol makes them optional). */
export const leanMemoryFactory: LedgerFactory = async () => {
  const ledger = new MemoryAuthority({ includeBalances: false });
  return { authority: ledger, admin: ledger };
};

export const CONCURRENCY_LEVELS = [1, 16, 64];

/** The same ledger without its audit trail. */
export const unauditedMemoryFactory: LedgerFactory = async () => {
  const ledger = new MemoryAuthority({ audit: false });
  return { authority: ledger, admin: ledger };
};

export function memoryScenarios(factory: LedgerFactory = memoryFactory): Scenario[] {
  return [
    ...[1, 64].map((c) => throughputScenario(NAIVE_BASELINE, naiveFactory, c)),
    ...CONCURRENCY_LEVELS.map((c) => throughputScenario('memory', factory, c)),
    throughputScenario('memory (audit: false)', unauditedMemoryFactory, 1),
    latencyScenario('memory', factory),
    throughputScenario('memory (includeBalances: false)', leanMemoryFactory, 1),
  ];
}
