/**
 * The linter checks something: Biome's recommended rules (plus noExplicitAny
 * and noVar) reject a file with `any`, `debugger`, `var` and `==`, using the
 * repository's own biome.json — the configuration `pnpm lint` runs with.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

it('pnpm lint rejects any, debugger, var and ==', () => {
  const dir = mkdtempSync(join(tmpdir(), 'governor-lint-'));
  try {
    const file = join(dir, 'probe.ts');
    writeFileSync(
      file,
      'export var x: any = 1;\nexport function f(a: number) {\n  debugger;\n  return a == 1;\n}\n',
    );
    const biome = join(ROOT, 'node_modules/.bin/biome');
    const run = spawnSync(biome, ['lint', `--config-path=${ROOT}`, file], { encoding: 'utf8' });
    const found = new Set((run.stdout + run.stderr).match(/lint\/[a-zA-Z]+\/[a-zA-Z]+/g));
    expect(run.status).not.toBe(0);
    for (const rule of ['noExplicitAny', 'noDebugger', 'noVar', 'noDoubleEquals']) {
      expect([...found].some((r) => r.endsWith(`/${rule}`))).toBe(true);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
