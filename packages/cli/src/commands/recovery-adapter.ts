import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags, UsageError } from '../args.js';
import type { Io } from '../io.js';
import {
  type AdapterVerdict,
  scenarioPattern,
  type VitestJsonReport,
  verdictFrom,
} from '../recovery/report.js';

export const RECOVERY_ADAPTER_HELP = `Usage: governor recovery-adapter <scenario_id> [options] < scenario.json

The recovery-conformance adapter: reads a scenario of the client-recovery
catalog as JSON on stdin ({ id, level, name, precondition, faults }), runs the
native tests bound to it (the Vitest tests whose name carries the scenario id,
in the recovery suites) and prints one JSON object on stdout:

  { "scenario_id", "passed", "native_tests": [...], "diagnostic"? }

Logs go to stderr; the exit code is 0 whatever the verdict (2 on wrong usage).
An id no test is bound to is "passed": false, with a diagnostic.

  --root <dir>      the repository (default: found from here, the directory with pnpm-workspace.yaml)
  --report <file>   judge from this Vitest JSON report of the recovery suites instead of running them
  -h, --help        show this help
`;

/** Where the tests bound to recovery scenarios live, relative to the repository root. */
export const RECOVERY_SUITES = ['packages/core/test/recovery', 'test/recovery'];

/**
 * The test files of the recovery suites, as absolute paths: Vitest takes its
 * filters as substrings of a path, and `test/recovery` alone would also pick
 * `packages/cli/test/recovery-adapter.test.ts` — this adapter's own test.
 */
export function recoveryTestFiles(root: string): string[] {
  return RECOVERY_SUITES.flatMap((dir) => {
    const abs = join(root, dir);
    if (!existsSync(abs)) return [];
    return readdirSync(abs)
      .filter((f) => f.endsWith('.test.ts'))
      .sort()
      .map((f) => join(abs, f));
  });
}

/** Set in the environment of the Vitest run the adapter starts: a run inside it never starts another. */
export const NESTED_RUN_ENV = 'GOVERNOR_RECOVERY_ADAPTER_RUN';

export async function recoveryAdapterCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { root: { type: 'string' }, report: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    true,
  );
  if (values.help) {
    io.out(RECOVERY_ADAPTER_HELP);
    return 0;
  }
  const [id, ...extra] = positionals;
  if (!id)
    throw new UsageError(
      'a scenario id is required, e.g. governor recovery-adapter CR-CORE-001 < scenario.json',
    );
  if (extra.length > 0) throw new UsageError(`one scenario id, got ${positionals.join(' ')}`);
  const verdict = await judge(id, values, io);
  io.out(JSON.stringify(verdict));
  return 0;
}

async function judge(
  id: string,
  values: { root?: string; report?: string },
  io: Io,
): Promise<AdapterVerdict> {
  const fail = (diagnostic: string): AdapterVerdict => ({
    scenario_id: id,
    passed: false,
    native_tests: [],
    diagnostic,
  });
  const input = await (io.readStdin?.() ?? Promise.resolve(''));
  const problem = checkScenario(id, input);
  if (problem) return fail(problem);
  if (input.trim() === '') io.err(`recovery-adapter: no scenario on stdin; judging ${id} by its id`);

  const root = values.root ? resolve(values.root) : findRoot();
  if (!root)
    return fail('cannot find the repository root (a directory with pnpm-workspace.yaml); pass --root');
  let report: VitestJsonReport;
  try {
    report = values.report ? readReport(values.report) : await runBoundTests(root, id, io);
  } catch (error) {
    return fail((error as Error).message);
  }
  return verdictFrom(id, report, root);
}

/** Why the stdin scenario cannot be judged as `id`, or undefined. */
function checkScenario(id: string, input: string): string | undefined {
  if (input.trim() === '') return undefined;
  let scenario: unknown;
  try {
    scenario = JSON.parse(input);
  } catch (error) {
    return `the scenario on stdin is not JSON: ${(error as Error).message}`;
  }
  if (scenario === null || typeof scenario !== 'object' || Array.isArray(scenario)) {
    return 'the scenario on stdin must be a JSON object { id, level, name, precondition, faults }';
  }
  const given = (scenario as { id?: unknown }).id;
  if (given !== undefined && given !== id) {
    return `the scenario on stdin is ${JSON.stringify(given)}, not ${id}`;
  }
  return undefined;
}

function findRoot(): string | undefined {
  const starts = [process.cwd(), dirname(fileURLToPath(import.meta.url))];
  for (const start of starts) {
    for (let dir = start; ; dir = dirname(dir)) {
      if (
        existsSync(join(dir, 'pnpm-workspace.yaml')) &&
        existsSync(join(dir, RECOVERY_SUITES[0] as string))
      ) {
        return dir;
      }
      if (dirname(dir) === dir) break;
    }
  }
  return undefined;
}

function readReport(path: string): VitestJsonReport {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as VitestJsonReport;
  } catch (error) {
    throw new Error(`cannot read the Vitest JSON report ${path}: ${(error as Error).message}`);
  }
}

/** `vitest run <suites> -t <id>` with the JSON reporter; Vitest's own output goes to stderr. */
async function runBoundTests(root: string, id: string, io: Io): Promise<VitestJsonReport> {
  if (process.env[NESTED_RUN_ENV]) {
    throw new Error(
      `refusing to start Vitest from inside the recovery suites' own run (${NESTED_RUN_ENV} is set)`,
    );
  }
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  if (!existsSync(vitest)) throw new Error(`vitest is not installed at ${vitest} (run pnpm install)`);
  const files = recoveryTestFiles(root);
  if (files.length === 0)
    throw new Error(`no recovery test files under ${RECOVERY_SUITES.join(', ')} in ${root}`);
  const dir = mkdtempSync(join(tmpdir(), 'governor-recovery-adapter-'));
  const out = join(dir, 'report.json');
  const args = [
    vitest,
    'run',
    ...RECOVERY_SUITES,
    '-t',
    scenarioPattern(id),
    '--reporter=json',
    `--outputFile=${out}`,
  ];
  io.err(`recovery-adapter: ${id}: vitest run ${RECOVERY_SUITES.join(' ')} -t ${scenarioPattern(id)}`);
  // A Vitest run of our own, not part of whichever run (if any) started us.
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST'))),
    [NESTED_RUN_ENV]: '1',
  };
  try {
    const code = await new Promise<number | null>((done, failed) => {
      const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      for (const stream of [child.stdout, child.stderr]) {
        stream.setEncoding('utf8').on('data', (chunk: string) => {
          for (const line of chunk.split('\n')) if (line.trim()) io.err(line);
        });
      }
      child.on('error', failed);
      child.on('exit', done);
    });
    if (!existsSync(out)) throw new Error(`vitest exited with ${code} and wrote no report`);
    return readReport(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
