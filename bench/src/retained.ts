/**
 * Memory a finished call leaves behind in MemoryAuthority: heap after a full
 * GC, before and after `calls` reserve+commit pairs, divided by `calls` (its
 * replay records, the settled reservation, its audit records). Bounded by the
 * retention options; this is the figure per call while within them.
 */
import { MemoryAuthority, type MemoryAuthorityOptions } from '@governor/core';
import { settleMemory } from './gc.js';
import { BENCH_SCOPES, BENCH_SUBJECT } from './harness.js';

export interface RetainedResult {
  name: string;
  calls: number;
  kibPerCall: number;
}

export async function retainedPerCall(
  name: string,
  options: MemoryAuthorityOptions,
  calls: number,
): Promise<RetainedResult> {
  const ledger = new MemoryAuthority(options);
  for (const scope of BENCH_SCOPES)
    await ledger.createBudget({ scope, unit: 'USD_MICROCENTS', allocated: 1_000_000_000_000_000 });
  await settleMemory();
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.external; // typed arrays' backing stores are external
  };
  const before = used();
  for (let i = 0; i < calls; i++) {
    const r = await ledger.reserve({
      idempotencyKey: `ret-r-${i}`,
      subject: BENCH_SUBJECT,
      action: { kind: 'llm.completion', name: 'gpt-4o-mini' },
      estimate: { unit: 'USD_MICROCENTS', amount: 1_000 },
    });
    await ledger.commit(r.reservationId as string, {
      idempotencyKey: `ret-c-${i}`,
      actual: { unit: 'USD_MICROCENTS', amount: 900 },
    });
  }
  await settleMemory();
  const kibPerCall = (used() - before) / calls / 1024;
  // Used after the measurement, so the ledger (and what it keeps) is alive through it.
  if ((await ledger.listBudgets()).length !== BENCH_SCOPES.length)
    throw new Error('bench ledger lost its budgets');
  return { name, calls, kibPerCall };
}

export function printRetained(r: RetainedResult, log: (line: string) => void): void {
  log(
    `${r.name}: ${r.kibPerCall.toFixed(2)} KiB retained per finished call over ${r.calls.toLocaleString('en-US')} calls (target ≤ 0.5 KiB)`,
  );
}
