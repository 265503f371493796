/**
 * Per-call timings of several variants of the same work, taken so that the
 * load of a busy machine hits them alike: each round runs every variant's
 * batch in turn (interleaved), each batch after a full GC (no batch pays for
 * another's garbage), timed by the wall clock and by the process's CPU time
 * (`process.cpuUsage`, user + system), which other processes' load distorts
 * far less than the wall clock.
 */
import { gc } from './gc.js';

/** µs per call of one batch. */
export interface CallTime {
  wallUs: number;
  cpuUs: number;
}

/** `n` sequential calls of `call`, after a full GC. */
export async function timeCalls(n: number, call: () => PromiseLike<unknown>): Promise<CallTime> {
  gc();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await call();
  const wallUs = Number(process.hrtime.bigint() - start) / 1_000 / n;
  const used = process.cpuUsage(cpu);
  return { wallUs, cpuUs: (used.user + used.system) / n };
}

/** Every variant's timing per round: a warm-up batch of each, then `rounds` rounds of one batch of each in turn. */
export async function interleavedRounds<K extends string>(
  variants: Record<K, () => PromiseLike<unknown>>,
  plan: { rounds: number; callsPerRound: number; warmupCalls: number },
): Promise<Record<K, CallTime[]>> {
  const names = Object.keys(variants) as K[];
  for (const name of names) await timeCalls(plan.warmupCalls, variants[name]);
  const rounds = Object.fromEntries(names.map((name) => [name, [] as CallTime[]])) as Record<K, CallTime[]>;
  for (let r = 0; r < plan.rounds; r++) {
    for (const name of names) rounds[name].push(await timeCalls(plan.callsPerRound, variants[name]));
  }
  return rounds;
}
