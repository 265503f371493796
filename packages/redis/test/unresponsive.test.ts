/**
 * A Redis that stops answering (kill -STOP): calls fail after their deadline
 * instead of hanging, and the fail mode applies — closed by default (nothing
 * runs), open on request (the work runs). On a redis-server of this test's
 * own (a port from 6406-6410), continued afterwards (kill -CONT).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { AuthorityUnavailableError, createGovernor } from '@governor/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisAuthority } from '../src/index.js';
import { uniquePrefix } from './support.js';

const hasServer = spawnSync('redis-server', ['--version']).status === 0;
const free = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

let child: ChildProcess | undefined;
let port = 0;

beforeAll(async () => {
  if (!hasServer) throw new Error('redis-server is not installed (.ci/run installs it)');
  for (let p = 6406; p <= 6410 && !port; p++) if (await free(p)) port = p;
  if (!port) throw new Error('no free port in 6406-6410 for the unresponsive-Redis test');
  child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  for (let i = 0; ; i++) {
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') break;
    } catch (error) {
      if (i > 200) throw error;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  probe.disconnect();
});

afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  child.kill('SIGCONT');
  const exited = new Promise((r) => child?.once('exit', r));
  child.kill('SIGKILL');
  await exited;
});

describe('an unresponsive Redis (kill -STOP)', () => {
  it('fails the call after its deadline and fails closed; with failMode open the work runs', async () => {
    const ledger = new RedisAuthority({
      url: `redis://127.0.0.1:${port}`,
      keyPrefix: uniquePrefix('stopped'),
      redisOptions: { commandTimeout: 300 }, // the default is 5 s; overridable
    });
    const RUN = 'tenant:acme/run:r1';
    await ledger.createBudget({ scope: RUN, unit: 'USD_MICROCENTS', allocated: 1_000 });
    const subject = { tenant: 'acme', run: 'r1' };
    const closed = createGovernor({ authority: ledger, subject, retry: { attempts: 2, baseDelayMs: 10 } });
    const open = createGovernor({
      authority: ledger,
      subject,
      failMode: 'open',
      retry: { attempts: 2, baseDelayMs: 10 },
    });
    const spec = {
      action: { kind: 'llm.completion', name: 'm' },
      estimate: { unit: 'USD_MICROCENTS' as const, amount: 10 },
    };
    const ran: string[] = [];
    const work = (who: string) => async () => {
      ran.push(who);
      return { value: who, actual: 5 };
    };
    child?.kill('SIGSTOP');
    try {
      const started = Date.now();
      await expect(closed.run(spec, work('closed'))).rejects.toBeInstanceOf(AuthorityUnavailableError);
      expect(Date.now() - started).toBeLessThan(3_000);
      await expect(open.run(spec, work('open'))).resolves.toBe('open');
      expect(ran).toEqual(['open']);
    } finally {
      child?.kill('SIGCONT');
    }
    await open.drain();
    await closed.drain();
    ledger.client.disconnect();
  }, 20_000);
});
