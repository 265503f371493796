import { assertLedgerInvariant } from '@governor/core/testing';
import { describe, expect, it } from 'vitest';
import { RUN, runAgent } from '../src/agent.js';
import { pickModels } from '../src/models.js';

describe.skipIf(process.env.OPENAI_API_KEY)('langchain agent example (scripted model)', () => {
  it('sends three emails, is denied the fourth, downgrades past half the budget and settles', async () => {
    const lines: string[] = [];
    const { ledger, sent, text } = await runAgent(await pickModels(), (line) => lines.push(line));
    expect(sent).toHaveLength(3);
    expect(text).toContain('email budget for this run is spent');
    expect(lines.some((l) => l.includes('ALLOW_WITH_CAPS'))).toBe(true);
    expect(lines).toContain('  caps applied: switched to gpt-4.1-nano, max tokens 128');
    expect(await ledger.getBudget({ scope: RUN, unit: 'RISK_POINTS' })).toMatchObject({
      spent: 3,
      reserved: 0,
    });
    expect(await ledger.getBudget({ scope: RUN, unit: 'USD_MICROCENTS' })).toMatchObject({ reserved: 0 });
    await assertLedgerInvariant(ledger);
  });
});
