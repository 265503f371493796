/**
 * Multi-process contention: 8 OS processes, 100,000 reserve attempts in total
 * on one shared budget that fits exactly N → exactly N accepted, the ledger
 * invariant holds, every commit is accounted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { assertLedgerInvariant } from '@governor/core/testing';
import { afterAll, expect, it } from 'vitest';
import { dropPrefix, testLedger, uniquePrefix } from './support.js';

/** Resolves with each JSON line the child prints, phase by phase. */
function lines(child: ChildProcess): () => Promise<{ [k: string]: number; accepted: number }> {
  const queue: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else queue.push(line);
  });
  child.on('exit', (code) => {
    if (code !== 0) for (const w of waiting.splice(0)) w(JSON.stringify({ error: code, stderr }));
  });
  return async () => {
    const line = queue.shift() ?? (await new Promise<string>((resolve) => waiting.push(resolve)));
    const parsed = JSON.parse(line);
    if (parsed.error !== undefined) throw new Error(`worker failed: ${parsed.stderr}`);
    return parsed;
  };
}
const PROCESSES = 8;
const ATTEMPTS = Number(process.env.CONTENTION_ATTEMPTS ?? 100_000);
const FITS = Math.floor(ATTEMPTS * 0.3737);
const prefix = uniquePrefix('contention');
const ledger = testLedger(prefix, { testClock: undefined });

afterAll(async () => {
  await dropPrefix(ledger, prefix);
  await ledger.quit();
});

it(`${PROCESSES} processes, ${ATTEMPTS} reserves on a budget that fits ${FITS}: exactly ${FITS} accepted`, async () => {
  await ledger.createBudget({ scope: 'tenant:acme', unit: 'RISK_POINTS', allocated: ATTEMPTS * 10 });
  await ledger.createBudget({ scope: 'tenant:acme/workflow:support', unit: 'RISK_POINTS', allocated: FITS });
  await ledger.addTemplate({
    match: 'tenant:*/workflow:support/run:*',
    unit: 'RISK_POINTS',
    allocated: ATTEMPTS,
  });
  const worker = fileURLToPath(new URL('./contention-worker.ts', import.meta.url));
  const per = ATTEMPTS / PROCESSES;
  const children = Array.from({ length: PROCESSES }, () =>
    spawn(
      process.execPath,
      ['--conditions=@governor/source', '--import', 'tsx', worker, prefix, String(per), '32'],
      {
        env: process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    ),
  );
  const readers = children.map(lines);
  const reserved = await Promise.all(readers.map((next) => next()));
  expect(reserved.reduce((s, r) => s + (r.accepted ?? 0), 0)).toBe(FITS);
  const workflowFull = await ledger.getBudget({ scope: 'tenant:acme/workflow:support', unit: 'RISK_POINTS' });
  expect(workflowFull).toMatchObject({ reserved: FITS, remaining: 0 });
  await assertLedgerInvariant(ledger);
  for (const child of children) child.stdin?.write('settle\n');
  const results = await Promise.all(readers.map((next) => next()));
  const sum = (k: string) => results.reduce((s, r) => s + (r[k] ?? 0), 0);
  expect(sum('accepted') + sum('denied')).toBe(ATTEMPTS);
  expect(sum('accepted')).toBe(FITS);
  const committed = sum('committed');
  expect(committed).toBe(results.reduce((s, r) => s + Math.ceil(r.accepted / 2), 0));
  expect(sum('released')).toBe(results.reduce((s, r) => s + Math.floor(r.accepted / 2), 0));
  const workflow = await ledger.getBudget({ scope: 'tenant:acme/workflow:support', unit: 'RISK_POINTS' });
  expect(workflow).toMatchObject({ reserved: 0, spent: committed, remaining: FITS - committed });
  const runBudget = await ledger.getBudget({
    scope: 'tenant:acme/workflow:support/run:shared',
    unit: 'RISK_POINTS',
  });
  expect(runBudget).toMatchObject({ reserved: 0, spent: committed });
  expect(await ledger.getBudget({ scope: 'tenant:acme', unit: 'RISK_POINTS' })).toMatchObject({
    spent: committed,
  });
  await assertLedgerInvariant(ledger);
}, 600_000);
