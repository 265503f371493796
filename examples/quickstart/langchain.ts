import { createGovernor, MemoryAuthority } from '@governor/core';
import { governorMiddleware } from '@governor/langchain';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { createAgent } from 'langchain';

const ledger = new MemoryAuthority(); // every run of tenant acme gets $2 on first use
await ledger.addTemplate({ match: 'tenant:acme/run:*', unit: 'USD_MICROCENTS', allocated: 200_000_000 });
const governor = createGovernor({ authority: ledger, subject: { tenant: 'acme' } });

const model = new FakeListChatModel({ responses: ['Order 1234 ships today.'] }); // or new ChatOpenAI(…)
const agent = createAgent({
  model,
  tools: [],
  middleware: [governorMiddleware({ governor, priceAs: () => 'openai:gpt-4o-mini' })],
});
const result = await governor.withRun('4821', () =>
  agent.invoke({ messages: [{ role: 'user', content: 'Status?' }] }),
);
const run = await ledger.getBudget({ scope: 'tenant:acme/run:4821', unit: 'USD_MICROCENTS' });
console.log(result.messages.at(-1)?.content, `(spent ${run?.spent} of ${run?.allocated} USD_MICROCENTS)`);
