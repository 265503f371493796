/**
 * `governor watch` against a running server: a snapshot (`--once`) with the
 * balances and the DENY, the live stream (stopped by an AbortSignal), colour
 * on a terminal, and a Redis ledger's trail read directly.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryAuthority } from '@governor/core';
import { HttpAuthority, HttpLedgerAdmin } from '@governor/http';
import { RedisAuthority } from '@governor/redis';
import { createServer, type GovernorServer } from '@governor/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchCommand } from '../src/commands/watch.js';
import { bufferIo, main } from '../src/index.js';

const ADMIN_KEY = 'watch-admin-key-0123456789';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keyFile = join(mkdtempSync(join(tmpdir(), 'governor-watch-')), 'admin-key');
writeFileSync(keyFile, ADMIN_KEY);

let server: GovernorServer;
let url: string;
let agent: HttpAuthority;

beforeAll(async () => {
  server = await createServer({ authority: new MemoryAuthority(), adminKey: ADMIN_KEY, rateLimit: false });
  url = await server.listen({ port: 0, host: '127.0.0.1' });
  const admin = new HttpLedgerAdmin({ baseUrl: url, adminKey: ADMIN_KEY });
  await admin.createTenant('acme');
  const { apiKey } = await admin.createApiKey('acme');
  await admin.createBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: 100_000_000 });
  await admin.dispose();
  agent = new HttpAuthority({ baseUrl: url, apiKey });
});
afterAll(async () => {
  await agent.close();
  await server.close();
});

const reserve = (amount: number) =>
  agent.reserve({
    idempotencyKey: `watch-${Math.random().toString(36).slice(2)}`,
    subject: { tenant: 'acme', workflow: 'support', run: 'r1' },
    action: { kind: 'llm.completion', name: 'gpt-4o-mini' },
    estimate: { unit: 'USD_MICROCENTS', amount },
  });
const DENY_LINE =
  /^\d\d:\d\d:\d\d {2}DENY {13}reserve {2}gpt-4o-mini {2}tenant:acme\/workflow:support\/run:r1 {2}\$5\.00 {2}BUDGET_EXCEEDED$/;

describe('governor watch', () => {
  it('--help', async () => {
    const io = bufferIo();
    expect(await main(['watch', '--help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/^Usage: governor watch \(--server <url> \| --redis <url>\)/);
  });

  it('--once prints the balances and the latest decisions, the DENY with its reason', async () => {
    expect((await reserve(40_000_000)).decision).toBe('ALLOW');
    expect((await reserve(500_000_000)).decision).toBe('DENY');
    const io = bufferIo();
    expect(await main(['watch', '--server', url, '--admin-key-file', keyFile, '--once'], io)).toBe(0);
    const out = io.stdout.join('\n');
    expect(out).toMatch(/scope\s+unit\s+allocated\s+spent\s+reserved\s+remaining\s+status/);
    expect(out).toMatch(/tenant:acme\s+USD_MICROCENTS\s+\$1\.00\s+\$0\.00\s+\$0\.40\s+\$0\.60\s+ACTIVE/);
    expect(io.stdout.some((l) => DENY_LINE.test(l))).toBe(true);
    expect(io.stdout.some((l) => /ALLOW {12}reserve {2}gpt-4o-mini .* \$0\.40$/.test(l))).toBe(true);
    expect(out).not.toContain('\x1b[');
  });

  it('follows the stream until stopped: a new DENY appears as it happens', async () => {
    const io = bufferIo();
    const controller = new AbortController();
    const running = watchCommand(
      ['--server', url, '--admin-key-file', keyFile, '--tenant', 'acme'],
      io,
      controller.signal,
    );
    await expect.poll(() => io.stdout.includes('Decisions (as they happen):')).toBe(true);
    const before = io.stdout.length;
    expect((await reserve(500_000_000)).decision).toBe('DENY');
    await expect
      .poll(() => io.stdout.slice(before).some((l) => DENY_LINE.test(l)), { timeout: 2_000 })
      .toBe(true);
    controller.abort();
    expect(await running).toBe(0);
    expect(io.stdout.at(-1)).toMatch(/tenant:acme\s+USD_MICROCENTS/);
  });

  it('colours DENY red on a terminal', async () => {
    const io = { ...bufferIo(), color: true };
    expect(await main(['watch', '--server', url, '--admin-key-file', keyFile, '--once'], io)).toBe(0);
    expect(io.stdout.some((l) => l.startsWith('\x1b[31m') && l.includes('DENY'))).toBe(true);
  });

  it('refuses a wrong admin key with a clear message, and two sources', async () => {
    const wrong = join(mkdtempSync(join(tmpdir(), 'governor-watch-')), 'key');
    writeFileSync(wrong, 'not-the-admin-key');
    const io = bufferIo();
    expect(await main(['watch', '--server', url, '--admin-key-file', wrong, '--once'], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/X-Admin-API-Key/);
    const both = bufferIo();
    expect(await main(['watch', '--redis', REDIS_URL, '--server', url], both)).toBe(2);
  });

  it("--redis reads a Redis ledger's trail directly: the balances and the DENY", async () => {
    const prefix = `gov-watch-${Math.random().toString(36).slice(2, 10)}`;
    const ledger = new RedisAuthority({ url: REDIS_URL, keyPrefix: prefix });
    try {
      await ledger.createBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: 100_000_000 });
      const call = {
        subject: { tenant: 'acme', workflow: 'support', run: 'r1' },
        action: { kind: 'llm.completion', name: 'gpt-4o-mini' },
      };
      await ledger.reserve({
        ...call,
        idempotencyKey: 'w-1',
        estimate: { unit: 'USD_MICROCENTS', amount: 40_000_000 },
      });
      await ledger.reserve({
        ...call,
        idempotencyKey: 'w-2',
        estimate: { unit: 'USD_MICROCENTS', amount: 500_000_000 },
      });
      const io = bufferIo();
      expect(await main(['watch', '--redis', REDIS_URL, '--prefix', prefix, '--once'], io)).toBe(0);
      expect(io.stdout.join('\n')).toMatch(
        /tenant:acme\s+USD_MICROCENTS\s+\$1\.00\s+\$0\.00\s+\$0\.40\s+\$0\.60\s+ACTIVE/,
      );
      expect(io.stdout.some((l) => DENY_LINE.test(l))).toBe(true);
    } finally {
      const keys = await ledger.client.keys(`${prefix}*`);
      if (keys.length > 0) await ledger.client.unlink(...keys);
      await ledger.quit();
    }
  });
});
