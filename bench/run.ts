/**
 * `pnpm bench [--quick] [--out <file>]`: run every benchmark scenario, print a
 * table and write the figures as JSON — by default to
 * bench/results/bench-<timestamp>.json and bench/results/latest.json.
 * Timing never fails the run: the target is printed, not asserted.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunOptions } from './src/harness.js';
import type { BenchReport } from './src/report.js';

const FULL: RunOptions = { warmupPairs: 20_000, rounds: 5, pairsPerRound: 50_000 };
const QUICK: RunOptions = { warmupPairs: 2_000, rounds: 5, pairsPerRound: 5_000 };
const RESULTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), 'results');

const HELP = `Usage: pnpm bench [--quick] [--out <file>]

Throughput and latency of the ledgers (memory; Redis when one answers at REDIS_URL,
default redis://127.0.0.1:6379) and the overhead of governor.run, the AI SDK middleware
and the LangChain middleware. Figures are printed and written as JSON; timings never fail.

  --quick        fewer pairs per round, for a smoke check (seconds instead of minutes)
  --out <file>   write the JSON to this file only (default bench/results/bench-<time>.json
                 and bench/results/latest.json)
  -h, --help     show this help
`;

let args: { out?: string | undefined; quick?: boolean | undefined; help?: boolean | undefined };
try {
  args = parseArgs({
    options: {
      out: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (error) {
  process.stderr.write(`bench: ${(error as Error).message}\nRun \`pnpm bench --help\` for usage.\n`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
// Loaded after the flags, so `--help` and a wrong flag answer at once.
const [
  { aiSdkOverhead },
  { aiSdkLoopOverhead },
  { governorOverhead, printOverhead },
  { langchainOverhead },
  { memoryScenarios },
  {
    evalshaCeiling,
    REDIS_TARGET_P99_US,
    REDIS_TARGET_PAIRS_PER_SECOND,
    REDIS_URL,
    redisAnswers,
    redisScenarios,
  },
  { environment, printEnvironment, printResults, TARGET_PAIRS_PER_SECOND },
] = await Promise.all([
  import('./src/ai-sdk.js'),
  import('./src/ai-sdk-loop.js'),
  import('./src/governor.js'),
  import('./src/langchain.js'),
  import('./src/memory.js'),
  import('./src/redis.js'),
  import('./src/report.js'),
]);
const { printRetained, retainedPerCall } = await import('./src/retained.js');
const { cliStartup, printStartup } = await import('./src/startup.js');

const options = args.quick ? QUICK : FULL;
const log = (line: string) => console.log(line);

const startedAt = new Date();
const env = environment();
printEnvironment(env, options, log);
log('');

const results: BenchReport['results'] = [];
const redis = await redisAnswers();
if (!redis) log(`redis scenarios skipped: no Redis answers at ${REDIS_URL}`);
const scenarios = [...memoryScenarios(), ...(redis ? redisScenarios() : [])];
for (const scenario of scenarios) {
  process.stdout.write(`running ${scenario.name} …\n`);
  const result = await scenario.run(options);
  if (result.kind === 'throughput') {
    const target = result.ledger === 'redis' ? REDIS_TARGET_PAIRS_PER_SECOND : TARGET_PAIRS_PER_SECOND;
    results.push({ ...result, target, meetsTarget: result.medianPairsPerSecond >= target });
  } else if (result.ledger === 'redis' && result.latencyUs) {
    const target = REDIS_TARGET_P99_US;
    results.push({ ...result, target, meetsTarget: result.latencyUs.p99 <= target });
  } else results.push(result);
}
const ceiling = redis ? evalshaCeiling(options.pairsPerRound * 4) : undefined;
process.stdout.write('running governor.run overhead …\n');
const overhead = await governorOverhead(options);
process.stdout.write('running AI SDK middleware overhead …\n');
overhead.push(...(await aiSdkOverhead(options)));
process.stdout.write('running AI SDK per-step overhead at step 10 and 1,000 …\n');
const loop = await aiSdkLoopOverhead(options);
overhead.push(...loop);
process.stdout.write('running LangChain middleware overhead …\n');
overhead.push(...(await langchainOverhead(options)));
process.stdout.write('running retained memory per finished call …\n');
// Within the default retention bounds (20,000 settled reservations): the figure per call while they fill.
const retainedCalls = Math.min(20_000, options.pairsPerRound);
const retained = [
  await retainedPerCall('memory, defaults', {}, retainedCalls),
  await retainedPerCall('memory, audit: false', { audit: false }, retainedCalls),
];
process.stdout.write('running CLI start-up …\n');
const startup = cliStartup(args.quick ? 5 : 15);
log('');
printResults(results, log, ceiling);
log('');
for (const o of overhead) printOverhead(o, log);
for (const r of retained) printRetained(r, log);
printStartup(startup, log);
const [step10, step1000] = loop;
if (step10 && step1000) {
  const ratio = step1000.medianOverheadUs / Math.max(step10.medianOverheadUs, 0.001);
  log(`AI SDK per-step overhead, step 1,000 ÷ step 10: ${ratio.toFixed(2)} (goal: 1 within noise)`);
}
if (ceiling !== undefined) {
  log(
    `redis-benchmark EVALSHA ceiling (trivial script, concurrency 64): ${Math.round(ceiling).toLocaleString('en-US')} calls/s; a pair is 2+ script calls`,
  );
}

const report: BenchReport = {
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  quick: args.quick ?? false,
  options,
  environment: env,
  targetPairsPerSecond: TARGET_PAIRS_PER_SECOND,
  results,
  overhead,
  redisEvalshaCeiling: ceiling,
  retained,
  startup,
};
const json = `${JSON.stringify(report, null, 2)}\n`;
const files = args.out
  ? [resolve(args.out)]
  : [
      resolve(RESULTS_DIR, `bench-${startedAt.toISOString().replace(/:/g, '-')}.json`),
      resolve(RESULTS_DIR, 'latest.json'),
    ];
for (const file of files) {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, json);
}
log('');
log(`wrote ${files.join(', ')}`);
