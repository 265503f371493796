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
import { BENCH_SCOPES, BENCH_SUBJECT, median, type RunOptions } from './harness.js';
import { instantAuthority } from './instant-authority.js';
import { type CallTime, interleavedRounds } from './interleaved.js';

export const TARGET_OVERHEAD_US = 10;

/** What a layer adds per call, in µs, by one clock. */
export interface OverheadFigures {
  /** Overhead per call in µs, per round (the layer's batch minus the plain batch of the same round). */
  roundsUs: number[];
  medianOverheadUs: number;
  /** The work alone, µs per call (median round). */
  baselineUsPerCall: number;
  /** With the layer ÷ without it, per call (median of the rounds' ratios). */
  ratio: number;
}

/** A per-call overhead: the same work with and without a Governor layer, by the wall clock and by CPU time. */
export interface OverheadResult extends OverheadFigures {
  name: string;
  callsPerRound: number;
  /** The same by the process's CPU time (`process.cpuUsage`): steadier than the wall clock on a loaded machine. */
  cpu: OverheadFigures;
  /** The goal from the issue; undefined for a figure printed only to explain another. */
  targetUs?: number;
}

/** The overhead of `layer` over `plain`, both timed in the same interleaved rounds. */
export function overheadOf(
  name: string,
  layer: readonly CallTime[],
  plain: readonly CallTime[],
  callsPerRound: number,
  targetUs?: number,
): OverheadResult {
  const figures = (clock: keyof CallTime): OverheadFigures => {
    const roundsUs = layer.map((round, r) => round[clock] - (plain[r] as CallTime)[clock]);
    return {
      roundsUs,
      medianOverheadUs: median(roundsUs),
      baselineUsPerCall: median(plain.map((round) => round[clock])),
      ratio: median(layer.map((round, r) => round[clock] / Math.max((plain[r] as CallTime)[clock], 0.001))),
    };
  };
  return {
    name,
    callsPerRound,
    ...figures('wallUs'),
    cpu: figures('cpuUs'),
    ...(targetUs === undefined ? {} : { targetUs }),
  };
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

/**
 * `governor.run` around a no-op on MemoryAuthority, then its parts: the bare
 * reserve+commit on MemoryAuthority, and `governor.run` on an authority that
 * answers at once — each round times the plain no-op and all three in turn.
 */
export async function governorOverhead(options: RunOptions): Promise<OverheadResult[]> {
  const calls = options.pairsPerRound;
  const rounds = await interleavedRounds(
    {
      plain: noop,
      governed: governedNoop(await benchLedger()),
      ledger: barePair(await benchLedger()),
      lifecycle: governedNoop(instantAuthority()),
    },
    { rounds: options.rounds, callsPerRound: calls, warmupCalls: options.warmupPairs },
  );
  return [
    overheadOf(
      'governor.run overhead around a no-op (memory)',
      rounds.governed,
      rounds.plain,
      calls,
      TARGET_OVERHEAD_US,
    ),
    overheadOf(
      '  of which the ledger: the same reserve+commit straight on MemoryAuthority',
      rounds.ledger,
      rounds.plain,
      calls,
    ),
    overheadOf(
      '  of which the lifecycle: governor.run on an authority that answers at once',
      rounds.lifecycle,
      rounds.plain,
      calls,
    ),
  ];
}

/** One clock's figures as a line: median, target verdict, rounds, baseline and ratio. */
function figuresLine(figures: OverheadFigures, targetUs: number | undefined): string {
  const verdict = targetUs === undefined ? '' : figures.medianOverheadUs <= targetUs ? 'meets' : 'above';
  return (
    `median ${figures.medianOverheadUs.toFixed(1)} µs per call` +
    (targetUs === undefined ? '' : ` (target ≤ ${targetUs} µs: ${verdict})`) +
    `; rounds ${figures.roundsUs.map((u) => u.toFixed(1)).join(' ')} µs` +
    `; without it ${figures.baselineUsPerCall.toFixed(2)} µs per call; ratio ${figures.ratio.toFixed(2)}× the plain call`
  );
}

export function printOverhead(result: OverheadResult, log: (line: string) => void): void {
  log(`${result.name}: wall ${figuresLine(result, result.targetUs)}`);
  log(`${' '.repeat(result.name.length)}   CPU ${figuresLine(result.cpu, result.targetUs)}`);
}
