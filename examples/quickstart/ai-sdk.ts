import { budgetExhausted, governModel, governTools } from '@governor/ai-sdk';
import { createGovernor, MemoryAuthority } from '@governor/core';
import { generateText, isStepCount, tool } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { z } from 'zod';

const ledger = new MemoryAuthority(); // every run of tenant acme gets $2 and 3 RISK_POINTS on first use
await ledger.addTemplate({ match: 'tenant:acme/run:*', unit: 'USD_MICROCENTS', allocated: 200_000_000 });
await ledger.addTemplate({ match: 'tenant:acme/run:*', unit: 'RISK_POINTS', allocated: 3 });
const governor = createGovernor({ authority: ledger, subject: { tenant: 'acme' } });

const model = new MockLanguageModelV4({ provider: 'openai', modelId: 'gpt-4o-mini', doGenerate: loop }); // or openai('gpt-4o-mini')
const sendEmail = tool({
  inputSchema: z.object({ to: z.string() }),
  execute: async ({ to }) => `sent to ${to}`,
});
const { steps } = await governor.withRun('4821', () =>
  generateText({
    model: governModel(model, { governor }),
    tools: governTools({ send_email: sendEmail }, { governor, riskPoints: { send_email: 1 } }),
    prompt: 'Email bob@example.com about order 1234.',
    stopWhen: [budgetExhausted({ governor }), isStepCount(10)],
  }),
);
for (const step of steps) for (const r of step.toolResults) console.log(r.output);

/** A model stuck in a retry loop, no API key needed: it calls send_email every time. */
async function loop() {
  const call = {
    type: 'tool-call',
    toolCallId: 'c',
    toolName: 'send_email',
    input: '{"to":"bob@example.com"}',
  } as const;
  const usage = {
    inputTokens: { total: 900, noCache: 900, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: 30, text: 30, reasoning: 0 },
  };
  return {
    content: [call],
    finishReason: { unified: 'tool-calls', raw: undefined } as const,
    usage,
    warnings: [],
  };
}
