/**
 * Start-up of the command line: `governor balances --help` in a fresh
 * process, against `node -e 0` (a process that loads nothing) in the same
 * rounds. The built CLI (`packages/cli/dist/bin.js`, from `pnpm build`) is
 * what users run; without a build the TypeScript source is measured through
 * tsx, and its baseline is then `node --import tsx -e 0`, so the ratio still
 * says what the CLI itself loads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './harness.js';

export const TARGET_STARTUP_MS = 500;

export interface StartupResult {
  name: string;
  /** Which CLI was measured: the built one or the source through tsx. */
  cli: 'dist' | 'source';
  runs: number;
  medianMs: number;
  baselineMedianMs: number;
  ratio: number;
  targetMs: number;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUILT = resolve(ROOT, 'packages/cli/dist/bin.js');
const SOURCE = resolve(ROOT, 'packages/cli/src/bin.ts');
const TSX = ['--conditions=@governor/source', '--import', 'tsx'];

/** Wall time of one process with `args`, in ms; throws when it fails. */
function timed(args: string[]): number {
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
  return ms;
}

/** `runs` alternating runs of the CLI and its baseline; medians of each. */
export function cliStartup(runs: number): StartupResult {
  const cli = existsSync(BUILT) ? 'dist' : 'source';
  const command = cli === 'dist' ? [BUILT, 'balances', '--help'] : [...TSX, SOURCE, 'balances', '--help'];
  const baseline = cli === 'dist' ? ['-e', '0'] : [...TSX, '-e', '0'];
  const with_: number[] = [];
  const without: number[] = [];
  timed(command); // the first run fills the OS file cache
  for (let i = 0; i < runs; i++) {
    without.push(timed(baseline));
    with_.push(timed(command));
  }
  const medianMs = median(with_);
  const baselineMedianMs = median(without);
  return {
    name: '`governor balances --help` start-up',
    cli,
    runs,
    medianMs,
    baselineMedianMs,
    ratio: medianMs / baselineMedianMs,
    targetMs: TARGET_STARTUP_MS,
  };
}

export function printStartup(r: StartupResult, log: (line: string) => void): void {
  const what =
    r.cli === 'dist' ? 'built CLI' : 'TypeScript source through tsx; `pnpm build` for the built CLI';
  const base = r.cli === 'dist' ? '`node -e 0`' : '`node --import tsx -e 0`';
  log(
    `${r.name} (${what}): median ${r.medianMs.toFixed(0)} ms over ${r.runs} runs (target ≤ ${r.targetMs} ms: ${
      r.medianMs <= r.targetMs ? 'met' : 'above'
    }); ${base} ${r.baselineMedianMs.toFixed(0)} ms; ratio ${r.ratio.toFixed(2)}× the baseline`,
  );
}
