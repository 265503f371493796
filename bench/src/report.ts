/** The environment a run measured, the JSON it writes and the table it prints. */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import type { OverheadResult } from './governor.js';
import { NAIVE_BASELINE, ROUND_TRIPS_BASELINE, type RunOptions, type ScenarioResult } from './harness.js';
import type { RetainedResult } from './retained.js';
import type { StartupResult } from './startup.js';

/** The throughput the issue asks of one ledger on this 2-core machine. Reported, never enforced. */
export const TARGET_PAIRS_PER_SECOND = 250_000;

export interface Environment {
  node: string;
  v8: string;
  platform: string;
  arch: string;
  cpuModel: string;
  cores: number;
  totalMemoryGiB: number;
  /** What ran: the packages' built `dist` (what users run) or their TypeScript source through tsx. */
  code: 'built' | 'source';
  /** The commit measured, and whether the working tree had changes (undefined outside a git checkout). */
  git?: { commit: string; dirty: boolean };
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  options: RunOptions;
  environment: Environment;
  targetPairsPerSecond: number;
  /** `target`: pairs/s (throughput) or the p99 in µs (latency), where the issue sets one. */
  results: (ScenarioResult & { target?: number; meetsTarget?: boolean })[];
  redisEvalshaCeiling: number | undefined;
  overhead: OverheadResult[];
  retained?: RetainedResult[];
  startup?: StartupResult;
}

export function environment(): Environment {
  const cpu = cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    code: import.meta.resolve('@governor/core').includes('/dist/') ? 'built' : 'source',
    ...gitState(),
  };
}

function gitState(): { git?: { commit: string; dirty: boolean } } {
  const git = (...args: string[]) =>
    execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    return {
      git: { commit: git('rev-parse', 'HEAD').trim(), dirty: git('status', '--porcelain').trim() !== '' },
    };
  } catch {
    return {};
  }
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const micro = (n: number) => `${n.toFixed(1)} µs`;

export function printEnvironment(env: Environment, options: RunOptions, log: (line: string) => void): void {
  log(`node ${env.node} (v8 ${env.v8}), ${env.platform}/${env.arch}`);
  log(`cpu  ${env.cpuModel}, ${env.cores} cores, ${env.totalMemoryGiB} GiB`);
  log(
    `code ${env.code === 'built' ? "the packages' built dist" : 'the TypeScript source through tsx (esbuild keepNames included)'}`,
  );
  if (env.git)
    log(`git  ${env.git.commit.slice(0, 12)}${env.git.dirty ? ' (with uncommitted changes)' : ''}`);
  log(
    `runs warm-up ${int(options.warmupPairs)} pairs, then ${options.rounds} rounds of ${int(options.pairsPerRound)} pairs; median round reported`,
  );
}

const BASELINES = new Set([NAIVE_BASELINE, ROUND_TRIPS_BASELINE]);

/**
 * What each figure is compared with in the same run: the naive Map baseline at
 * the same concurrency (or at 1) for the embedded ledgers, the EVALSHA ceiling for Redis.
 */
function baselineOf(
  r: BenchReport['results'][number],
  results: BenchReport['results'],
  ceiling: number | undefined,
) {
  if (BASELINES.has(r.ledger)) return undefined;
  if (r.ledger === 'redis') return ceiling && { name: 'EVALSHA ceiling', pairsPerSecond: ceiling };
  const naive = results.filter((x) => x.ledger === NAIVE_BASELINE);
  const same = naive.find((x) => x.concurrency === r.concurrency) ?? naive.find((x) => x.concurrency === 1);
  return same && { name: `naive c=${same.concurrency}`, pairsPerSecond: same.medianPairsPerSecond };
}

/**
 * A latency row's ratio and figures: its p99 beside the p99 of the baseline of
 * its ledger's kind in the same run (Redis: two trivial EVALSHAs), and the target.
 */
function latencyCells(r: BenchReport['results'][number], results: BenchReport['results']): [string, string] {
  const l = r.latencyUs;
  const figures = `p50 ${micro(l?.p50 ?? Number.NaN)}, p99 ${micro(l?.p99 ?? Number.NaN)}, max ${micro(l?.max ?? Number.NaN)}`;
  const target =
    r.target === undefined ? '' : ` (p99 ≤ ${int(r.target)} µs: ${r.meetsTarget ? 'met' : 'above'})`;
  const base =
    r.ledger === 'redis'
      ? results.find((x) => x.kind === 'latency' && x.ledger === ROUND_TRIPS_BASELINE)
      : undefined;
  const ratio =
    base?.latencyUs && l ? `p99 ${(l.p99 / base.latencyUs.p99).toFixed(1)}× the round trips'` : '';
  return [ratio, figures + target];
}

export function printResults(
  results: BenchReport['results'],
  log: (line: string) => void,
  ceiling?: number,
): void {
  const rows = results.map((r) => {
    const perRound = r.rounds.map((x) => int(x.pairsPerSecond)).join(' ');
    if (r.kind === 'latency')
      return [r.name, int(r.medianPairsPerSecond), ...latencyCells(r, results), perRound];
    const target = BASELINES.has(r.ledger)
      ? 'baseline'
      : `≥ ${int(r.target ?? TARGET_PAIRS_PER_SECOND)} ${r.meetsTarget ? '(met)' : '(below)'}`;
    const base = baselineOf(r, results, ceiling);
    const ratio = base ? `${(r.medianPairsPerSecond / base.pairsPerSecond).toFixed(3)} of ${base.name}` : '';
    return [r.name, int(r.medianPairsPerSecond), ratio, target, perRound];
  });
  const header = [
    'scenario',
    'pairs/s (median)',
    'ratio to baseline',
    'target / latency',
    'pairs/s per round',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 1 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  log(line(header));
  log(line(widths.map((w) => '─'.repeat(w))));
  for (const row of rows) log(line(row));
}
