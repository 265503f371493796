/**
 * One contention worker process: `attempts` reserves of `amount` on the shared
 * budget, as fast as it can (concurrency `inflight`), committing half of what
 * it gets and releasing the rest. Prints one JSON line with what it saw.
 */
import { randomUUID } from 'node:crypto';
import { RedisAuthority } from '../src/index.js';

const [prefix, attemptsArg, inflightArg] = process.argv.slice(2);
const attempts = Number(attemptsArg);
const inflight = Number(inflightArg);
const ledger = new RedisAuthority({ keyPrefix: prefix, includeBalances: false });
const subject = { tenant: 'acme', workflow: 'support', run: 'shared' };

let next = 0;
let accepted = 0;
let denied = 0;
let committed = 0;
let released = 0;
const ids: string[] = [];
async function worker() {
  while (next < attempts) {
    next += 1;
    const r = await ledger.reserve({
      idempotencyKey: randomUUID(),
      subject,
      action: { kind: 'tool.call', name: 'send_email' },
      estimate: { unit: 'RISK_POINTS', amount: 1 },
      ttlMs: 600_000,
    });
    if (r.decision === 'DENY') {
      denied += 1;
      continue;
    }
    accepted += 1;
    ids.push(r.reservationId as string);
  }
}
await Promise.all(Array.from({ length: inflight }, worker));
// Settle only once every process has finished reserving (the parent says so on stdin),
// so nothing flows back into the budget during the race.
process.stdout.write(`${JSON.stringify({ phase: 'reserved', accepted, denied })}\n`);
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
let cursor = 0;
async function settler() {
  while (cursor < ids.length) {
    const i = cursor++;
    const id = ids[i] as string;
    if (i % 2 === 0) {
      const c = await ledger.commit(id, {
        idempotencyKey: randomUUID(),
        actual: { unit: 'RISK_POINTS', amount: 1 },
      });
      committed += c.charged.amount;
    } else {
      await ledger.release(id, { idempotencyKey: randomUUID() });
      released += 1;
    }
  }
}
await Promise.all(Array.from({ length: inflight }, settler));
process.stdout.write(`${JSON.stringify({ phase: 'settled', accepted, denied, committed, released })}\n`);
await ledger.quit();
process.exit(0);
