/**
 * `pnpm bench:rss [--calls N] [--no-audit]`: memory of a long-lived
 * MemoryAuthority over many finished calls (reserve + commit, 3 scopes, the
 * default retention bounds). After every tenth of the calls, a full GC, then
 * RSS and heap + external are printed; the run ends with the growth over the
 * second half, which is flat when retention bounds what the ledger keeps.
 * Reported, never enforced.
 */
import { parseArgs } from 'node:util';
import { MemoryAuthority } from '@governor/core';
import { settleMemory } from './src/gc.js';
import { BENCH_SCOPES, pair } from './src/harness.js';

const HELP = `Usage: pnpm bench:rss [--calls <n>] [--no-audit]

Memory of one MemoryAuthority over many reserve+commit calls with its default retention
bounds: RSS and heap + external after a full GC at every tenth of the run, and the growth
over the second half (flat when retention bounds what the ledger keeps).

  --calls <n>   finished calls (default 1000000)
  --no-audit    the ledger without its audit trail
  -h, --help    show this help
`;

let args: { calls?: string | undefined; 'no-audit'?: boolean | undefined; help?: boolean | undefined };
try {
  args = parseArgs({
    options: {
      calls: { type: 'string', default: '1000000' },
      'no-audit': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (error) {
  process.stderr.write(`bench:rss: ${(error as Error).message}\nRun \`pnpm bench:rss --help\` for usage.\n`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const calls = Number(args.calls);
if (!Number.isSafeInteger(calls) || calls < 10) {
  process.stderr.write(`bench:rss: --calls must be an integer ≥ 10, got ${args.calls}\n`);
  process.exit(2);
}

const MiB = 2 ** 20;

const ledger = new MemoryAuthority(args['no-audit'] ? { audit: false } : {});
for (const scope of BENCH_SCOPES)
  await ledger.createBudget({ scope, unit: 'USD_MICROCENTS', allocated: 1_000_000_000_000_000 });

/** RSS and heap + external in MiB after full GCs. */
async function measure(): Promise<{ rss: number; heap: number }> {
  await settleMemory();
  const m = process.memoryUsage();
  return { rss: m.rss / MiB, heap: (m.heapUsed + m.external) / MiB };
}

console.log(
  `MemoryAuthority${args['no-audit'] ? ' (audit: false)' : ''}, ${calls.toLocaleString('en-US')} calls`,
);
console.log('calls done      RSS MiB   heap+external MiB');
const step = Math.floor(calls / 10);
const points: { done: number; rss: number; heap: number }[] = [];
const start = process.hrtime.bigint();
for (let done = 0; done < calls; ) {
  const until = Math.min(calls, done + step);
  for (; done < until; done++) await pair(ledger, done);
  const m = await measure();
  points.push({ done, ...m });
  console.log(
    `${done.toLocaleString('en-US').padStart(10)}  ${m.rss.toFixed(1).padStart(9)}  ${m.heap.toFixed(1).padStart(18)}`,
  );
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const half = points[Math.floor(points.length / 2) - 1];
const last = points[points.length - 1];
if (half && last) {
  const per100k = (v: number) => ((v / (last.done - half.done)) * 100_000).toFixed(2);
  console.log(
    `growth over the second half: RSS ${per100k(last.rss - half.rss)} MiB, heap+external ${per100k(last.heap - half.heap)} MiB per 100,000 calls (${Math.round(calls / seconds).toLocaleString('en-US')} calls/s overall)`,
  );
}
