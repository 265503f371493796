/**
 * The packages as a user outside this workspace gets them: build, `pnpm pack`
 * each publishable package, `npm install` the tarballs (and the peers, at the
 * lockfile's versions) into a fresh project in a temp dir, type-check a file
 * importing every public entry point against the published types, run a quick
 * start and `governor --help` from the installed bin. Slow (a real npm
 * install): CI runs it once (`.ci/run` leaves test/pack out of the second,
 * Node 24, run).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../docs/readmes.js';

const exec = promisify(execFile);
const PNPM = ['-y', 'pnpm@12.21.0'];
const PEERS = ['ai', '@langchain/core', 'langchain', 'zod', '@modelcontextprotocol/sdk'];

interface Manifest {
  name: string;
  private?: boolean;
  version: string;
  exports?: Record<string, Record<string, string>>;
  bin?: Record<string, string>;
  [field: string]: unknown;
}

const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Manifest;
const publishable = readdirSync(join(ROOT, 'packages'))
  .map((dir) => ({
    dir: join(ROOT, 'packages', dir),
    manifest: read(join(ROOT, 'packages', dir, 'package.json')),
  }))
  .filter((p) => !p.manifest.private);

/** A peer at the version this workspace installed from its lockfile (the quick starts depend on every peer). */
const lockedVersion = (name: string) =>
  read(join(ROOT, 'examples/quickstart/node_modules', name, 'package.json')).version;

describe('packed packages, installed outside the workspace', () => {
  it('manifests are complete', () => {
    expect(publishable.map((p) => p.manifest.name).sort()).toEqual([
      '@governor/ai-sdk',
      '@governor/core',
      '@governor/http',
      '@governor/langchain',
      '@governor/mcp',
      '@governor/redis',
      '@governor/server',
      '@governor/sqlite',
      'governor',
    ]);
    for (const { dir, manifest: m } of publishable) {
      expect(m.license, m.name).toBe('Apache-2.0');
      expect(m.repository, m.name).toEqual({
        type: 'git',
        url: 'git+https://github.com/governor-dev/governor.git',
        directory: relative(ROOT, dir),
      });
      expect(m.engines, m.name).toEqual({ node: '>=20.19' });
      expect(m.files, m.name).toContain('dist');
      expect(m.type, m.name).toBe('module');
      for (const [entry, conditions] of Object.entries(m.exports ?? {})) {
        expect(conditions.types, `${m.name} ${entry}`).toMatch(/^\.\/dist\/.*\.d\.ts$/);
        expect(conditions.default, `${m.name} ${entry}`).toMatch(/^\.\/dist\/.*\.js$/);
      }
    }
  });

  it('install with npm, type-check every entry point, run a quick start and governor --help', async () => {
    const work = mkdtempSync(join(tmpdir(), 'governor-packed-'));
    await exec('npx', [...PNPM, 'build'], { cwd: ROOT, timeout: 150_000 });
    for (const { dir } of publishable) {
      await exec('npx', [...PNPM, 'pack', '--pack-destination', work], { cwd: dir, timeout: 60_000 });
    }
    const tarballs = readdirSync(work).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).toHaveLength(publishable.length);

    const app = join(work, 'app');
    await exec('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const peers = PEERS.map((name) => `${name}@${lockedVersion(name)}`);
    await exec(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        ...tarballs.map((t) => join(work, t)),
        ...peers,
      ],
      { cwd: app, timeout: 200_000 },
    );

    for (const { manifest } of publishable) {
      const installed = readFileSync(join(app, 'node_modules', manifest.name, 'package.json'), 'utf8');
      expect(installed, manifest.name).not.toContain('workspace:');
    }

    writeFileSync(
      join(app, 'entries.ts'),
      [
        "import * as aiSdk from '@governor/ai-sdk';",
        "import * as core from '@governor/core';",
        "import type * as ledgerRules from '@governor/core/ledger';",
        "import type * as testing from '@governor/core/testing';",
        "import * as http from '@governor/http';",
        "import * as langchain from '@governor/langchain';",
        "import * as mcp from '@governor/mcp';",
        "import * as redis from '@governor/redis';",
        "import * as server from '@governor/server';",
        "import * as sqlite from '@governor/sqlite';",
        "import * as cli from 'governor';",
        'const ledger: core.Ledger = new core.MemoryAuthority();',
        'export type Conformance = typeof testing.describeLedgerConformance;',
        'export type SettleOnce = typeof ledgerRules.settleOnce;',
        'export const entries = [ledger, aiSdk.governModel, langchain.governorMiddleware, mcp.governClient];',
        'export const ledgers = [redis.RedisAuthority, sqlite.SqliteAuthority, cli.main];',
        'export const service = [http.HttpAuthority, server.createServer];',
      ].join('\n'),
    );
    copyFileSync(join(ROOT, 'examples/quickstart/ai-sdk.ts'), join(app, 'ai-sdk.ts'));
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: true,
          types: [],
          outDir: 'out',
        },
        include: ['*.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    await exec(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app, timeout: 60_000 });

    const quickstart = await exec(process.execPath, ['out/ai-sdk.js'], { cwd: app, timeout: 60_000 });
    expect(quickstart.stdout).toContain('sent to bob@example.com');
    expect(quickstart.stdout).toContain('not executed: send_email was denied');

    const help = await exec(join(app, 'node_modules/.bin/governor'), ['--help'], {
      cwd: app,
      timeout: 30_000,
    });
    expect(help.stdout).toMatch(/^Usage: governor <command>/);
    const proxyHelp = await exec(join(app, 'node_modules/.bin/governor-mcp-proxy'), ['--help'], {
      cwd: app,
      timeout: 30_000,
    });
    expect(proxyHelp.stdout + proxyHelp.stderr).toMatch(/governor-mcp-proxy/);

    // The operator console travels inside @governor/server (the console package is private).
    const served = await exec(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        [
          "import { MemoryAuthority } from '@governor/core';",
          "import { createServer } from '@governor/server';",
          'const s = await createServer({ authority: new MemoryAuthority(), console: true });',
          'const url = await s.listen({ port: 0 });',
          "const r = await fetch(url + '/console/');",
          "console.log(r.status, (await r.text()).includes('Governor console'));",
          'await s.close();',
        ].join('\n'),
      ],
      { cwd: app, timeout: 30_000 },
    );
    expect(served.stdout.trim()).toBe('200 true');
  }, 420_000);
});
