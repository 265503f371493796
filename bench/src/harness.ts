/**
 * Ledger-agnostic benchmark scenarios: reserve+commit pairs against any
 * Authority, built by a factory so every ledger (memory today, Redis later)
 * runs the very same loops.
 */
import type { Authority, LedgerAdmin, Subject } from '@governor/core';

/** Builds a fresh, empty ledger for one scenario. */
export type LedgerFactory = () => Promise<{
  authority: Authority;
  admin: LedgerAdmin;
  close?: () => Promise<void>;
}>;

export interface RunOptions {
  /** Pairs before measuring (JIT, caches, retention-bounded stores filling up). */
  warmupPairs: number;
  /** Measured rounds; the median round is reported. */
  rounds: number;
  pairsPerRound: number;
}

export interface Scenario {
  name: string;
  ledger: string;
  kind: 'throughput' | 'latency';
  concurrency: number;
  run(options: RunOptions): Promise<ScenarioResult>;
}

export interface RoundResult {
  pairs: number;
  seconds: number;
  pairsPerSecond: number;
}

export interface ScenarioResult {
  name: string;
  ledger: string;
  kind: 'throughput' | 'latency';
  concurrency: number;
  rounds: RoundResult[];
  /** Pairs per second of the median round. */
  medianPairsPerSecond: number;
  /** Latency of one pair over every measured pair, in microseconds (latency scenarios only). */
  latencyUs?: { samples: number; p50: number; p90: number; p99: number; max: number };
}

/** The scenarios that are baselines, measured in the same run as the figures they are beside. */
export const NAIVE_BASELINE = 'naive Map baseline';
/** The latency baseline of a Redis pair: its two round trips alone (src/redis.ts). */
export const ROUND_TRIPS_BASELINE = 'redis round trips baseline';

/** The subject every pair is charged to: three scopes, each with a budget. */
export const BENCH_SUBJECT: Subject = { tenant: 'bench', workflow: 'load', run: 'r1' };
export const BENCH_SCOPES = [
  'tenant:bench',
  'tenant:bench/workflow:load',
  'tenant:bench/workflow:load/run:r1',
];
const ESTIMATE = 1_000;
const ACTUAL = 900;
/** Big enough for far more pairs than any run makes (1e15 / 900 ≈ 10^12 pairs). */
const ALLOCATION = 1_000_000_000_000_000;

/** A fresh ledger from `factory` with a big USD_MICROCENTS budget on each of the subject's scopes. */
async function provision(factory: LedgerFactory) {
  const ledger = await factory();
  for (const scope of BENCH_SCOPES) {
    await ledger.admin.createBudget({ scope, unit: 'USD_MICROCENTS', allocated: ALLOCATION });
  }
  return ledger;
}

/** One reserve and its commit, each with a fresh idempotency key. */
export async function pair(authority: Authority, seq: number): Promise<void> {
  const reservation = await authority.reserve({
    idempotencyKey: `rsv-${seq}`,
    subject: BENCH_SUBJECT,
    action: { kind: 'llm.completion', name: 'bench-model' },
    estimate: { unit: 'USD_MICROCENTS', amount: ESTIMATE },
  });
  if (!reservation.reservationId) {
    throw new Error(`bench reserve was denied (${reservation.reasonCode}); the budgets are too small`);
  }
  await authority.commit(reservation.reservationId, {
    idempotencyKey: `cmt-${seq}`,
    actual: { unit: 'USD_MICROCENTS', amount: ACTUAL },
  });
}

/** Hands out sequence numbers, so every pair of every worker gets fresh keys. */
class Sequence {
  #next = 0;
  take(): number {
    return this.#next++;
  }
}

/** `pairs` pairs done by `concurrency` async workers pulling from one shared count; returns seconds. */
async function timedBatch(
  authority: Authority,
  seq: Sequence,
  pairs: number,
  concurrency: number,
): Promise<number> {
  let left = pairs;
  const worker = async () => {
    while (left > 0) {
      left -= 1;
      await pair(authority, seq.take());
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** `pairs` sequential pairs, each timed on its own; latencies in nanoseconds go into `into` from `offset`. */
async function timedPairs(
  authority: Authority,
  seq: Sequence,
  pairs: number,
  into: Float64Array,
  offset: number,
): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < pairs; i++) {
    const t0 = process.hrtime.bigint();
    await pair(authority, seq.take());
    into[offset + i] = Number(process.hrtime.bigint() - t0);
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

function roundOf(pairs: number, seconds: number): RoundResult {
  return { pairs, seconds, pairsPerSecond: pairs / seconds };
}

/** Pairs per second with `concurrency` async workers each doing pairs in a loop. */
export function throughputScenario(ledger: string, factory: LedgerFactory, concurrency: number): Scenario {
  const name = `${ledger} reserve+commit, concurrency ${concurrency}`;
  return {
    name,
    ledger,
    kind: 'throughput',
    concurrency,
    async run(options) {
      const { authority, close } = await provision(factory);
      try {
        const seq = new Sequence();
        await timedBatch(authority, seq, options.warmupPairs, concurrency);
        const rounds: RoundResult[] = [];
        for (let r = 0; r < options.rounds; r++) {
          const seconds = await timedBatch(authority, seq, options.pairsPerRound, concurrency);
          rounds.push(roundOf(options.pairsPerRound, seconds));
        }
        const medianPairsPerSecond = median(rounds.map((r) => r.pairsPerSecond));
        return { name, ledger, kind: 'throughput', concurrency, rounds, medianPairsPerSecond };
      } finally {
        await close?.();
      }
    },
  };
}

/** Latency of one pair at concurrency 1: every measured pair timed with `process.hrtime.bigint()`. */
export function latencyScenario(ledger: string, factory: LedgerFactory): Scenario {
  const name = `${ledger} reserve+commit latency, concurrency 1`;
  return {
    name,
    ledger,
    kind: 'latency',
    concurrency: 1,
    async run(options) {
      const { authority, close } = await provision(factory);
      try {
        const seq = new Sequence();
        const scratch = new Float64Array(options.warmupPairs);
        await timedPairs(authority, seq, options.warmupPairs, scratch, 0);
        const samples = new Float64Array(options.rounds * options.pairsPerRound);
        const rounds: RoundResult[] = [];
        for (let r = 0; r < options.rounds; r++) {
          const offset = r * options.pairsPerRound;
          const seconds = await timedPairs(authority, seq, options.pairsPerRound, samples, offset);
          rounds.push(roundOf(options.pairsPerRound, seconds));
        }
        samples.sort();
        const us = (ns: number) => ns / 1_000;
        const latencyUs = {
          samples: samples.length,
          p50: us(percentile(samples, 50)),
          p90: us(percentile(samples, 90)),
          p99: us(percentile(samples, 99)),
          max: us(samples[samples.length - 1] ?? Number.NaN),
        };
        const medianPairsPerSecond = median(rounds.map((r) => r.pairsPerSecond));
        return { name, ledger, kind: 'latency', concurrency: 1, rounds, medianPairsPerSecond, latencyUs };
      } finally {
        await close?.();
      }
    },
  };
}
