import { MemoryAuthority, USD } from './dist/index.js';
const l = new MemoryAuthority();
const big = 1e15;
for (const s of ['tenant:acme', 'tenant:acme/workflow:support', 'tenant:acme/workflow:support/run:r1']) await l.createBudget({ scope: s, unit: 'USD_MICROCENTS', allocated: big });
const subject = { tenant: 'acme', workflow: 'support', run: 'r1' };
const action = { kind: 'llm.completion', name: 'gpt-4o-mini' };
let i = 0;
async function pair() {
  const r = await l.reserve({ idempotencyKey: `r${i}`, subject, action, estimate: { unit: 'USD_MICROCENTS', amount: 1000 } });
  await l.commit(r.reservationId, { idempotencyKey: `c${i++}`, actual: { unit: 'USD_MICROCENTS', amount: 900 } });
}
for (let k = 0; k < 20000; k++) await pair();
for (let round = 0; round < 3; round++) {
  const n = 100000; const t0 = performance.now();
  for (let k = 0; k < n; k++) await pair();
  const dt = performance.now() - t0; console.log(`${Math.round(n / dt * 1000)} pairs/s`);
}
