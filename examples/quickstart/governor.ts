import { BudgetDeniedError, createGovernor, createPricing, MemoryAuthority } from '@governor/core';

const ledger = new MemoryAuthority();
await ledger.createBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: 20_000 }); // $0.0002
const governor = createGovernor({
  authority: ledger,
  subject: { tenant: 'acme' },
  on: (e) => console.log(e.type),
});
const pricing = createPricing();
const model = 'openai:gpt-4o-mini';

for (const attempt of [1, 2]) {
  const amount = pricing.estimate(model, { prompt: 'Summarise order 1234.', maxOutputTokens: 200 });
  const estimate = { unit: 'USD_MICROCENTS', amount } as const;
  const text = await governor
    .run({ action: { kind: 'llm.completion', name: model }, estimate }, async (grant) => {
      const usage = { inputTokens: 12, outputTokens: grant.caps?.maxTokens ?? 150 }; // your model call here
      return { value: `reply ${attempt}`, actual: pricing.cost(model, usage) };
    })
    .catch((e) => (BudgetDeniedError.isInstance(e) ? `denied: ${e.reasonCode}` : Promise.reject(e)));
  console.log(text);
}
