import { approvalResponses, governModel, governTools } from '@governor/ai-sdk';
import { createGovernor, MemoryAuthority } from '@governor/core';
import { generateText, isStepCount, type ModelMessage, tool } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { z } from 'zod';

const ledger = new MemoryAuthority(); // run 4821 of tenant acme: $2 and 2 RISK_POINTS
await ledger.createBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: 200_000_000 });
await ledger.createBudget({ scope: 'tenant:acme/run:4821', unit: 'RISK_POINTS', allocated: 2 });
const governor = createGovernor({
  authority: ledger,
  subject: { tenant: 'acme', run: '4821' },
  approvals: { when: [{ tools: ['send_email'] }] }, // over budget: ask an operator instead of failing
});

const mock = new MockLanguageModelV4({ provider: 'openai', modelId: 'gpt-4o-mini', doGenerate: emailThree });
const model = governModel(mock, { governor }); // or openai('gpt-4o-mini')
const tools = governTools(
  {
    send_email: tool({
      inputSchema: z.object({ to: z.string() }),
      execute: async ({ to }) => `sent to ${to}`,
    }),
  },
  { governor, riskPoints: { send_email: 1 } },
);
const messages: ModelMessage[] = [{ role: 'user', content: 'Email the three customers.' }];
const first = await generateText({ model, tools, messages, stopWhen: isStepCount(10) });
const [waiting] = await ledger.listApprovals({ status: 'PENDING' });
console.log(`paused: ${waiting?.action.name} (${waiting?.reasonCode} at ${waiting?.blockedScope})`);

// The operator: `governor approvals approve <id> --tenant acme`, the admin API or the console.
await ledger.decideApproval({ tenant: 'acme', approvalId: `${waiting?.approvalId}`, decision: 'APPROVE' });
const { message } = await approvalResponses(first, { governor });
messages.push(...first.responseMessages, ...(message ? [message] : []));
const second = await generateText({ model, tools, messages, stopWhen: isStepCount(10) });
console.log(second.text);
const run = await ledger.getBudget({ scope: 'tenant:acme/run:4821', unit: 'RISK_POINTS' });
console.log(`risk points spent ${run?.spent} of ${run?.allocated}, reserved ${run?.reserved}`);

/** A model that emails c1, c2 and c3, one per step, then reports (no API key needed). */
async function emailThree({ prompt }: { prompt: Array<{ role: string; content: unknown }> }) {
  const sent = prompt.filter(
    (m) => m.role === 'tool' && JSON.stringify(m.content).includes('sent to'),
  ).length;
  const usage = {
    inputTokens: { total: 900, noCache: 900, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: 30, text: 30, reasoning: 0 },
  };
  const content =
    sent >= 3
      ? [{ type: 'text', text: 'All three customers emailed.' } as const]
      : [
          {
            type: 'tool-call',
            toolCallId: `call-${sent + 1}`,
            toolName: 'send_email',
            input: JSON.stringify({ to: `c${sent + 1}@example.com` }),
          } as const,
        ];
  const finishReason = { unified: sent >= 3 ? 'stop' : 'tool-calls', raw: undefined } as const;
  return { content, finishReason, usage, warnings: [] };
}
