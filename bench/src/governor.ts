/**
 * The cost of the lifecycle itself: `governor.run` around a no-op versus
 * calling the no-op directly, on MemoryAuthority (3-scope subject, system
 * clock, heartbeats on). The difference per call is the overhead an adapter
 * pays for reserve → run → commit.
 */
import { createGovernor, MemoryAuthority } from '@governor/core';
import { BENCH_SCOPES, BENCH_SUBJECT, type RunOptions } from './harness.js';

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
  targetUs: number;
}

const noop = async () => 42;

export async function governorOverhead(options: RunOptions): Promise<OverheadResult> {
  const ledger = new MemoryAuthority();
  for (const scope of BENCH_SCOPES) {
    await ledger.createBudget({ scope, unit: 'USD_MICROCENTS', allocated: 1_000_000_000_000_000 });
  }
  const governor = createGovernor({ authority: ledger, subject: BENCH_SUBJECT });
  const spec = {
    action: { kind: 'tool.call', name: 'noop' },
    estimate: { unit: 'USD_MICROCENTS' as const, amount: 1_000 },
  };
  const governed = () => governor.run(spec, async () => ({ value: await noop(), actual: 900 }));
  const time = async (n: number, call: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await call();
    return Number(process.hrtime.bigint() - start) / 1_000 / n;
  };
  await time(options.warmupPairs, governed);
  await time(options.warmupPairs, noop);
  const roundsUs: number[] = [];
  let direct = 0;
  for (let r = 0; r < options.rounds; r++) {
    direct = await time(options.pairsPerRound, noop);
    roundsUs.push((await time(options.pairsPerRound, governed)) - direct);
  }
  const sorted = [...roundsUs].sort((a, b) => a - b);
  return {
    name: 'governor.run overhead around a no-op (memory)',
    callsPerRound: options.pairsPerRound,
    roundsUs,
    medianOverheadUs: sorted[Math.floor(sorted.length / 2)] as number,
    baselineUsPerCall: direct,
    targetUs: TARGET_OVERHEAD_US,
  };
}

export function printOverhead(result: OverheadResult, log: (line: string) => void): void {
  const verdict = result.medianOverheadUs <= result.targetUs ? 'meets' : 'above';
  log(
    `${result.name}: median ${result.medianOverheadUs.toFixed(1)} µs per call (target ≤ ${result.targetUs} µs: ${verdict}); ` +
      `rounds ${result.roundsUs.map((u) => u.toFixed(1)).join(' ')} µs; without it ${result.baselineUsPerCall.toFixed(2)} µs per call` +
      `; ratio ${(result.ratio ?? (result.baselineUsPerCall + result.medianOverheadUs) / Math.max(result.baselineUsPerCall, 0.001)).toFixed(2)}× the plain call`,
  );
}
