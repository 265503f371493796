/**
 * One durability worker process: reserve + commit in a loop on the ledger
 * file, printing `<reservationId> <amount>` once each commit has resolved
 * (acknowledged). Stops by itself after `limit` commits; the test kills it
 * with SIGKILL long before.
 */
import { randomUUID } from 'node:crypto';
import { SqliteAuthority } from '../src/index.js';

const [path, limitArg] = process.argv.slice(2);
const ledger = new SqliteAuthority({ path: path as string, includeBalances: false });
const subject = { tenant: 'acme', workflow: 'support', run: `pid-${process.pid}` };
const limit = Number(limitArg);

for (let i = 0; i < limit; i++) {
  const amount = (i % 7) + 1;
  const r = await ledger.reserve({
    idempotencyKey: randomUUID(),
    subject,
    action: { kind: 'tool.call', name: 'send_email' },
    estimate: { unit: 'RISK_POINTS', amount: 8 },
    ttlMs: 600_000,
  });
  if (!r.reservationId) throw new Error(`reserve denied: ${JSON.stringify(r)}`);
  await ledger.commit(r.reservationId, {
    idempotencyKey: randomUUID(),
    actual: { unit: 'RISK_POINTS', amount },
  });
  process.stdout.write(`${r.reservationId} ${amount}\n`);
}
await ledger.close();
