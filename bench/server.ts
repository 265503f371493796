/**
 * `pnpm bench:server [--quick] [--out <file>]`: reserve+commit pairs over HTTP
 * against a Governor server on Redis running in a second process, driven by an
 * undici pool from this one, at 1, 50 and 200 concurrent clients. Baseline,
 * measured in the same run: the same pairs straight on RedisAuthority in this
 * process. Prints figure, baseline and ratio; never asserts a timing.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Authority } from '@governor/core';
import { HttpAuthority, HttpLedgerAdmin } from '@governor/http';
import { RedisAuthority } from '@governor/redis';
import { REDIS_URL, redisAnswers } from './src/redis.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: { out: { type: 'string' }, quick: { type: 'boolean', default: false } },
});
const SECONDS = args.quick ? 2 : 6;
const CLIENTS = [1, 50, 200];
const ADMIN_KEY = `bench-admin-${randomUUID()}`;
const PREFIX = `gov-bench-server-${randomUUID().slice(0, 8)}`;
const UNIT = 'TOKENS';

if (!(await redisAnswers())) {
  console.log(`server bench skipped: no Redis answers at ${REDIS_URL}`);
  process.exit(0);
}

interface Figure {
  clients: number;
  pairs: number;
  pairsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** `clients` loops of reserve → commit for `seconds`; pairs/s and pair latency. */
async function drive(
  authority: Authority,
  tenant: string,
  clients: number,
  seconds: number,
): Promise<Figure> {
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  let n = 0;
  const loop = async (c: number) => {
    while (performance.now() < until) {
      const key = `b-${c}-${n++}`;
      const t0 = performance.now();
      const r = await authority.reserve({
        idempotencyKey: key,
        subject: { tenant, workflow: 'bench' },
        action: { kind: 'llm.completion', name: 'm' },
        estimate: { unit: UNIT, amount: 10 },
      });
      if (!r.reservationId) throw new Error(`bench reserve denied: ${JSON.stringify(r)}`);
      await authority.commit(r.reservationId, {
        idempotencyKey: `${key}:c`,
        actual: { unit: UNIT, amount: 7 },
      });
      latencies.push(performance.now() - t0);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, c) => loop(c)));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    clients,
    pairs: latencies.length,
    pairsPerSecond: Math.round(latencies.length / elapsed),
    p50Ms: Number(at(0.5).toFixed(2)),
    p99Ms: Number(at(0.99).toFixed(2)),
  };
}

const child = spawn(
  process.execPath,
  [
    // The server runs the same code as this process: the built packages, or the source (`bench:server:source`).
    ...process.execArgv,
    resolve(here, 'src/server-child.ts'),
    REDIS_URL,
    PREFIX,
    ADMIN_KEY,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const url = await new Promise<string>((ok, fail) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    const m = /URL (\S+)/.exec(out);
    if (m) ok(m[1] as string);
  });
  child.on('exit', (code) => fail(new Error(`server exited (${code}) before listening`)));
});

const admin = new HttpLedgerAdmin({ baseUrl: url, adminKey: ADMIN_KEY });
await admin.createTenant('bench');
const { apiKey } = await admin.createApiKey('bench');
await admin.createBudget({ scope: 'tenant:bench', unit: UNIT, allocated: 1e15 });
const http = new HttpAuthority({ baseUrl: url, apiKey, connections: 256, timeoutMs: 30_000 });
const direct = new RedisAuthority({ url: REDIS_URL, keyPrefix: `${PREFIX}-direct` });
await direct.createBudget({ scope: 'tenant:bench', unit: UNIT, allocated: 1e15 });

const rows: { clients: number; http: Figure; baseline: Figure; ratio: number }[] = [];
try {
  await drive(http, 'bench', 8, 1); // warm-up: connections, JIT
  await drive(direct, 'bench', 8, 1);
  for (const clients of CLIENTS) {
    const h = await drive(http, 'bench', clients, SECONDS);
    const b = await drive(direct, 'bench', clients, SECONDS);
    rows.push({
      clients,
      http: h,
      baseline: b,
      ratio: Number((h.pairsPerSecond / b.pairsPerSecond).toFixed(3)),
    });
    console.log(
      `${String(clients).padStart(4)} clients  HTTP→server→Redis ${String(h.pairsPerSecond).padStart(6)} pairs/s (p50 ${h.p50Ms} ms, p99 ${h.p99Ms} ms)` +
        `  baseline RedisAuthority in-process ${String(b.pairsPerSecond).padStart(6)} pairs/s (p99 ${b.p99Ms} ms)  ratio ${rows.at(-1)?.ratio}`,
    );
  }
} finally {
  await http.close();
  await admin.dispose();
  child.kill('SIGTERM');
  let cursor = '0';
  do {
    const [next, keys] = await direct.client.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await direct.client.unlink(...keys);
  } while (cursor !== '0');
  await direct.quit();
}

const out = args.out ?? resolve(here, 'results/server-latest.json');
await mkdir(dirname(out), { recursive: true });
await writeFile(
  out,
  `${JSON.stringify({ at: new Date().toISOString(), seconds: SECONDS, rows }, null, 2)}\n`,
);
console.log(`written to ${out}`);
