import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpBin } from './bin.js';

const TINY = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/tiny-server.sh');
const SESSIONS = 1_000;
const PARALLEL = 16;

/** The upstream processes (the tiny server) whose parent is `pid`, from /proc. */
function children(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== pid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(TINY)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'soak', version: '0' } },
});

const stop: (() => void)[] = [];
afterEach(() => {
  for (const s of stop.splice(0)) s();
});

describe('soak: sessions opened and abandoned over HTTP', () => {
  it(`${SESSIONS} sessions leave no upstream process and flat RSS after the idle timeout`, async () => {
    // A bounded old generation, so RSS follows live memory rather than V8's growth policy (Node 24
    // lets the heap grow ~70 MB before a major GC; with the bound it stays flat, so that was no leak).
    const bin = await startHttpBin(
      ['--http', '0', '--idle-timeout-ms', '500', '--max-sessions', '2000', '--', 'sh', TINY],
      ['--max-old-space-size=160'],
    );
    stop.push(() => bin.child.kill('SIGTERM'));
    const pid = bin.child.pid as number;
    const open = async () => {
      const res = await fetch(bin.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: INIT,
      });
      await res.text();
      expect(res.status).toBe(200);
    };
    const wave = async (n: number) => {
      for (let i = 0; i < n; i += PARALLEL)
        await Promise.all(Array.from({ length: Math.min(PARALLEL, n - i) }, open));
      await expect.poll(() => children(pid).length, { timeout: 15_000, interval: 100 }).toBe(0);
    };
    await wave(500); // warm-up: the heap grows towards its working size
    const baseline = rssMb(pid);
    await wave(SESSIONS);
    expect(children(pid)).toEqual([]);
    const afterFirst = rssMb(pid);
    expect(afterFirst - baseline).toBeLessThan(80); // what the heap may still take on
    await wave(SESSIONS);
    expect(children(pid)).toEqual([]);
    // Flat: a second thousand sessions adds next to nothing once the heap has its size (a leak of
    // 25 KiB a session would add 25 MB here).
    expect(rssMb(pid) - afterFirst).toBeLessThan(25);
  }, 180_000); // ~40 s alone; bounded in count (1,000) and time either way
});
