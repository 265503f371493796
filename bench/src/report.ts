/** The environment a run measured, the JSON it writes and the table it prints. */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import type { OverheadResult } from './governor.js';
import type { RunOptions, ScenarioResult } from './harness.js';

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
  results: (ScenarioResult & { target?: number; meetsTarget?: boolean })[];
  redisEvalshaCeiling: number | undefined;
  overhead: OverheadResult[];
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
  if (env.git)
    log(`git  ${env.git.commit.slice(0, 12)}${env.git.dirty ? ' (with uncommitted changes)' : ''}`);
  log(
    `runs warm-up ${int(options.warmupPairs)} pairs, then ${options.rounds} rounds of ${int(options.pairsPerRound)} pairs; median round reported`,
  );
}

export function printResults(results: BenchReport['results'], log: (line: string) => void): void {
  const rows = results.map((r) => {
    const target =
      r.kind === 'throughput'
        ? `≥ ${int(r.target ?? TARGET_PAIRS_PER_SECOND)} ${r.meetsTarget ? '(met)' : '(below)'}`
        : `p50 ${micro(r.latencyUs?.p50 ?? Number.NaN)}, p99 ${micro(r.latencyUs?.p99 ?? Number.NaN)}, max ${micro(r.latencyUs?.max ?? Number.NaN)}`;
    const perRound = r.rounds.map((x) => int(x.pairsPerSecond)).join(' ');
    return [r.name, int(r.medianPairsPerSecond), target, perRound];
  });
  const header = ['scenario', 'pairs/s (median)', 'target / latency', 'pairs/s per round'];
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
