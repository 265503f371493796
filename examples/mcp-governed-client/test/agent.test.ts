import { assertLedgerInvariant } from '@governor/core/testing';
import { describe, expect, it } from 'vitest';
import { RUN, runAgent } from '../src/agent.js';

describe('mcp governed client example', () => {
  it('runs three writes against server-everything, is denied the fourth, and settles', async () => {
    const { ledger, results } = await runAgent(() => undefined);
    expect(results.map((r) => r.isError)).toEqual([false, false, false, true]);
    expect(results[3]?.text).toContain('risk-point budget');
    expect(await ledger.getBudget({ scope: RUN, unit: 'RISK_POINTS' })).toMatchObject({
      spent: 3,
      reserved: 0,
    });
    await assertLedgerInvariant(ledger);
  });
});
