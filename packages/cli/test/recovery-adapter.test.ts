/**
 * `governor recovery-adapter` over every scenario of the client-recovery
 * catalog (../shared/spec/client-recovery-scenarios.yaml from the repository
 * root): each must pass with a non-empty list of native tests. The bound
 * suites run once (one Vitest JSON report) and the adapter judges each id from
 * it; the executable itself, spawning Vitest, is run for one id.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NESTED_RUN_ENV, recoveryTestFiles } from '../src/commands/recovery-adapter.js';
import { bufferIo, main } from '../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CATALOG = join(root, '..', 'shared', 'spec', 'client-recovery-scenarios.yaml');
// The `yaml` package @governor/core depends on.
const { parse: parseYaml } = createRequire(join(root, 'packages', 'core', 'package.json'))('yaml') as {
  parse(text: string): unknown;
};

interface Scenario {
  id: string;
  level: string;
  name: string;
  precondition: string;
  faults: string[];
}

function loadCatalog(): Scenario[] {
  if (!existsSync(CATALOG)) {
    throw new Error(
      `the client-recovery catalog is missing: expected it at ${CATALOG} (../shared/spec/ from the repository root)`,
    );
  }
  const { scenarios } = parseYaml(readFileSync(CATALOG, 'utf8')) as { scenarios: Scenario[] };
  return scenarios;
}

const scenarios = loadCatalog();
const input = (s: Scenario) =>
  JSON.stringify({ id: s.id, level: s.level, name: s.name, precondition: s.precondition, faults: s.faults });

/** Vitest's child runs are ours, not part of this run. */
const childEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
/** The recovery suites' run: marked, so nothing inside it starts another. */
const suitesEnv = () => ({ ...childEnv(), [NESTED_RUN_ENV]: '1' });

function run(
  command: string,
  args: string[],
  stdin = '',
  env: NodeJS.ProcessEnv = childEnv(),
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const cli = (args: string[], stdin: string) =>
  run(
    process.execPath,
    ['--conditions=@governor/source', '--import', 'tsx', 'packages/cli/src/bin.ts', ...args],
    stdin,
  );

async function adapter(args: string[], stdin = '') {
  const io = bufferIo(stdin);
  const code = await main(['recovery-adapter', ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

let dir: string;
let report: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'governor-adapter-test-'));
  report = join(dir, 'recovery.json');
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const files = recoveryTestFiles(root);
  expect(files.map((f) => f.slice(root.length + 1))).toContain('test/recovery/crash.test.ts');
  expect(files.some((f) => f.includes('packages/cli'))).toBe(false); // never this file: no recursion
  const args = [vitest, 'run', ...files, '--reporter=json', `--outputFile=${report}`];
  const { code, stderr } = await run(process.execPath, args, '', suitesEnv());
  if (!existsSync(report))
    throw new Error(`the recovery suites wrote no report (exit ${code}): ${stderr.slice(-2_000)}`);
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('governor recovery-adapter: every scenario of the catalog', () => {
  it('the catalog has the twelve scenarios, core, durable and boundary', () => {
    expect(scenarios.map((s) => s.id)).toEqual([
      'CR-CORE-001',
      'CR-CORE-002',
      'CR-CORE-003',
      'CR-CORE-004',
      'CR-DURABLE-001',
      'CR-DURABLE-002',
      'CR-DURABLE-003',
      'CR-DURABLE-004',
      'CR-DURABLE-005',
      'CR-DURABLE-006',
      'CR-DURABLE-007',
      'CR-BOUNDARY-001',
    ]);
  });

  it.each(scenarios.map((s) => [s.id, s] as const))(
    '%s passes, with the native tests bound to it',
    async (id, scenario) => {
      const { code, stdout } = await adapter([id, '--report', report], input(scenario));

      expect(code).toBe(0);
      expect(stdout).toHaveLength(1); // exactly one JSON object
      const verdict = JSON.parse(stdout[0] as string);
      expect(verdict).toMatchObject({ scenario_id: id, passed: true });
      expect(verdict.native_tests.length).toBeGreaterThan(0);
      for (const name of verdict.native_tests) expect(name).toContain(id);
    },
  );

  it('an unknown scenario id: passed false with a diagnostic, exit 0', async () => {
    const { code, stdout } = await adapter(['CR-CORE-999', '--report', report], '{"id":"CR-CORE-999"}');

    expect(code).toBe(0);
    expect(JSON.parse(stdout[0] as string)).toMatchObject({
      scenario_id: 'CR-CORE-999',
      passed: false,
      native_tests: [],
      diagnostic: expect.stringContaining('no native test is bound to scenario CR-CORE-999'),
    });
  });

  it.each([
    ['not JSON', '{ id: ', /not JSON/],
    ['another scenario', '{"id":"CR-CORE-002"}', /is "CR-CORE-002", not CR-CORE-001/],
    ['not an object', '[1]', /must be a JSON object/],
  ])('stdin that is %s: passed false with a diagnostic, exit 0', async (_, stdin, diagnostic) => {
    const { code, stdout } = await adapter(['CR-CORE-001', '--report', report], stdin);

    expect(code).toBe(0);
    const verdict = JSON.parse(stdout[0] as string);
    expect(verdict).toMatchObject({ scenario_id: 'CR-CORE-001', passed: false });
    expect(verdict.diagnostic).toMatch(diagnostic);
  });

  it('--help, and no id is wrong usage', async () => {
    expect(await adapter(['--help'])).toMatchObject({
      code: 0,
      stdout: [expect.stringContaining('Usage: governor recovery-adapter')],
    });
    expect(await adapter([])).toMatchObject({ code: 2, stdout: [] });
  });

  it('the executable runs the bound tests itself: one JSON object on stdout, logs on stderr, exit 0', async () => {
    const scenario = scenarios.find((s) => s.id === 'CR-CORE-004') as Scenario;

    const { code, stdout, stderr } = await cli(['recovery-adapter', 'CR-CORE-004'], input(scenario));

    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const verdict = JSON.parse(lines[0] as string);
    expect(verdict).toMatchObject({ scenario_id: 'CR-CORE-004', passed: true });
    expect(verdict.native_tests.length).toBeGreaterThanOrEqual(7);
    expect(stderr).toContain('vitest run');
  }, 120_000);
});
