/**
 * The README's curl walk-through (examples/quickstart.sh) against a fresh server,
 * and `governor serve` from the CLI with the demo run against it over HTTP.
 */
import { execFile, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openServer } from '@governor/server';
import { bufferIo, main } from 'governor';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '../..');
const run = promisify(execFile);
const ADMIN_KEY = 'quickstart-admin-key-0123456789';

describe('README quick start', () => {
  it('packages/server/examples/quickstart.sh: tenant, key, budget, reserve → commit, balance', {
    timeout: 120_000,
  }, async () => {
    const server = await openServer({ adminKey: ADMIN_KEY, rateLimit: false });
    const url = await server.listen({ port: 0 });
    try {
      const { stdout } = await run('bash', ['packages/server/examples/quickstart.sh'], {
        cwd: ROOT,
        env: { ...process.env, GOVERNOR_SERVER: url, GOVERNOR_ADMIN_KEY: ADMIN_KEY },
      });
      expect(stdout).toMatch(/tenant acme: ACTIVE/);
      expect(stdout).toMatch(/"decision":"ALLOW"/);
      expect(stdout).toMatch(/"status":"COMMITTED","charged":\{"unit":"USD_MICROCENTS","amount":12000000\}/);
      expect(stdout).toMatch(/"spent":\{"unit":"USD_MICROCENTS","amount":12000000\}/);
      const [budget] = await server.authority.listBudgets({ tenant: 'acme' });
      expect(budget).toMatchObject({ allocated: 1_000_000_000, spent: 12_000_000, reserved: 0 });
    } finally {
      await server.close();
    }
  });

  it('governor serve starts, answers /healthz, runs the demo over HTTP, stops on SIGTERM', {
    timeout: 120_000,
  }, async () => {
    const child = spawn(
      process.execPath,
      ['--conditions=@governor/source', '--import', 'tsx', 'packages/cli/src/bin.ts', 'serve', '--port', '0'],
      {
        cwd: ROOT,
        env: { ...process.env, GOVERNOR_ADMIN_KEY: ADMIN_KEY },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL in: ${output}`)), 60_000);
        child.stdout.on('data', () => {
          const m = /listening on (http:\/\/\S+)/.exec(output);
          if (m) {
            clearTimeout(timer);
            resolveUrl(m[1] as string);
          }
        });
      });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const io = bufferIo();
      const prev = process.env.GOVERNOR_ADMIN_KEY;
      process.env.GOVERNOR_ADMIN_KEY = ADMIN_KEY;
      const code = await main(
        ['demo', '--server', url, '--emails', '60', '--risk-points', '20', '--json'],
        io,
      ).finally(() => {
        if (prev === undefined) delete process.env.GOVERNOR_ADMIN_KEY;
        else process.env.GOVERNOR_ADMIN_KEY = prev;
      });
      expect(code, io.stderr.join('\n')).toBe(0);
      const report = JSON.parse(io.stdout.join('\n'));
      expect(report.authority).toBe('server');
      expect(report.governed.executed.send_email).toBe(20);
      expect(report.governed.lastDenial.reasonCode).toBe('BUDGET_EXCEEDED');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).toMatch(/Governor server stopped/);
  });
});
