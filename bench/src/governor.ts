/**
 * The cost of the lifecycle itself: `governor.run` around a no-op versus
 * calling the no-op directly, on MemoryAuthority (3-scope subject, system
 * clock, heartbeats on). The difference per call is the overhead an adapter
 * pays for reserve → run → commit. Measured beside it, in the same rounds,
 * its two parts: the ledger's (the same reserve and commit requests sent to
 * MemoryAuthority directly) and the lifecycle's own (`governor.run` on an
 * authority that answers at once).
 */
import { randomUUID } from 'node:crypto';
import { type Authority, createGovernor, MemoryAuthority } from '@governor/core';
import { BENCH_SCOPES, BENCH_SUBJECT, type RunOptions } from './harness.js';
import { instantAuthority } from './instant-authority.js';

export const TARGET_OVERHEAD_US = 10;

/** A per-call overhead: the same work with and without a Governor layer, in µs. */
export interface OverheadResult {
  name: string;
  callsPerRound: number;
  /** Overhead per call in µs, per round; the median is reported. */
  roundsUs: number[];
  medianOverheadUs: number;
  /** The work alone, µs per call (last round). */
  baselineUsPerCall: number;
  /** With the layer ÷ without it, per call (median round), when the scenario reports it. */
  ratio?: number;
  /** The goal from the issue; undefined for a figure printed only to explain another. */
  targetUs?: number;
}

const noop = async () => 42;
const ACTION = { kind: 'tool.call', name: 'noop' };
const ESTIMATE = { unit: 'USD_MICROCENTS' as const, amount: 1_000 };
const ACTUAL = { unit: 'USD_MICROCENTS' as const, amount: 900 };

async function benchLedger(): Promise<MemoryAuthority> {
  const ledger = new MemoryAuthority();
  for (const scope of BENCH_SCOPES) {
    await ledger.createBudget({ scope, unit: 'USD_MICROCENTS', allocated: 1_000_000_000_000_000 });
  }
  return ledger;
}

/** `governor.run` of a no-op on `authority`. */
function governedNoop(authority: Authority): () => Promise<unknown> {
  const governor = createGovernor({ authority, subject: BENCH_SUBJECT });
  const spec = { action: ACTION, estimate: ESTIMATE };
  return () => governor.run(spec, async () => ({ value: await noop(), actual: 900 }));
}

/** The requests `governor.run` sends, straight to the ledger: a reserve and its commit. */
function barePair(ledger: MemoryAuthority): () => Promise<unknown> {
  return async () => {
    const key = `gov_${randomUUID()}`;
    const { reservationId } = await ledger.reserve({
      subject: BENCH_SUBJECT,
      action: ACTION,
      ttlMs: 60_000,
      gracePeriodMs: 5_000,
      idempotencyKey: key,
      estimate: ESTIMATE,
    });
    await ledger.commit(reservationId as string, {
      idempotencyKey: `${key}:commit`,
      actual: ACTUAL,
      metadata: { actual_source: 'reported' },
    });
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * `governor.run` around a no-op on MemoryAuthority, then its parts: the bare
 * reserve+commit on MemoryAuthority, and `governor.run` on an authority that
 * answers at once — each round times the plain no-op and all three in turn.
 */
export async function governorOverhead(options: RunOptions): Promise<OverheadResult[]> {
  const figures = {
    governed: governedNoop(await benchLedger()),
    ledger: barePair(await benchLedger()),
    lifecycle: governedNoop(instantAuthority()),
  };
  const time = async (n: number, call: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await call();
    return Number(process.hrtime.bigint() - start) / 1_000 / n;
  };
  for (const call of [...Object.values(figures), noop]) await time(options.warmupPairs, call);
  const rounds = { governed: [] as number[], ledger: [] as number[], lifecycle: [] as number[] };
  let direct = 0;
  for (let r = 0; r < options.rounds; r++) {
    direct = await time(options.pairsPerRound, noop);
    for (const [name, call] of Object.entries(figures)) {
      rounds[name as keyof typeof rounds].push((await time(options.pairsPerRound, call)) - direct);
    }
  }
  const result = (name: string, roundsUs: number[], targetUs?: number): OverheadResult => ({
    name,
    callsPerRound: options.pairsPerRound,
    roundsUs,
    medianOverheadUs: median(roundsUs),
    baselineUsPerCall: direct,
    ...(targetUs === undefined ? {} : { targetUs }),
  });
  return [
    result('governor.run overhead around a no-op (memory)', rounds.governed, TARGET_OVERHEAD_US),
    result('  of which the ledger: the same reserve+commit straight on MemoryAuthority', rounds.ledger),
    result('  of which the lifecycle: governor.run on an authority that answers at once', rounds.lifecycle),
  ];
}

export function printOverhead(result: OverheadResult, log: (line: string) => void): void {
  const { targetUs } = result;
  const verdict = targetUs === undefined ? '' : result.medianOverheadUs <= targetUs ? 'meets' : 'above';
  log(
    `${result.name}: median ${result.medianOverheadUs.toFixed(1)} µs per call` +
      (targetUs === undefined ? '; ' : ` (target ≤ ${targetUs} µs: ${verdict}); `) +
      `rounds ${result.roundsUs.map((u) => u.toFixed(1)).join(' ')} µs; without it ${result.baselineUsPerCall.toFixed(2)} µs per call` +
      `; ratio ${(result.ratio ?? (result.baselineUsPerCall + result.medianOverheadUs) / Math.max(result.baselineUsPerCall, 0.001)).toFixed(2)}× the plain call`,
  );
}
