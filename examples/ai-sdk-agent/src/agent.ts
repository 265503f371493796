/**
 * The runaway-email incident with the AI SDK: a support agent asked to send
 * status emails keeps calling `send_email`. Governor reserves every model call
 * in dollars and every email in RISK_POINTS; the run has 3 points, so the
 * fourth email is not executed and the model reads why and stops.
 */
import type { LanguageModelV4 } from '@ai-sdk/provider';
import { budgetExhausted, governModel, governTools } from '@governor/ai-sdk';
import { createGovernor, type GovernorEvent, MemoryAuthority } from '@governor/core';
import { generateText, isStepCount, jsonSchema, tool } from 'ai';

export const RUN = 'tenant:acme/workflow:support/run:4821';

export interface AgentModels {
  model: LanguageModelV4;
  /** The cheaper model used once the run nears its dollar budget. */
  cheaper: LanguageModelV4;
}

export interface AgentOutcome {
  ledger: MemoryAuthority;
  sent: string[];
  text: string;
  steps: number;
}

export async function runAgent(
  models: AgentModels,
  log: (line: string) => void = console.log,
): Promise<AgentOutcome> {
  const ledger = new MemoryAuthority();
  await ledger.createBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: 5_000_000_000 }); // $50
  await ledger.createBudget({ scope: RUN, unit: 'USD_MICROCENTS', allocated: 140_000 }); // 0.14 cents: 4 to 5 model calls
  await ledger.createBudget({ scope: RUN, unit: 'RISK_POINTS', allocated: 3 });
  await ledger.setDegradationPolicy({ tiers: [{ atPercent: 80, caps: { maxTokens: 256 } }] });

  const governor = createGovernor({
    authority: ledger,
    subject: { tenant: 'acme', workflow: 'support' },
    riskPoints: { rules: [{ name: 'send_email', points: 1 }] },
    on: (event) => log(describe(event)),
  });

  const sent: string[] = [];
  const tools = governTools(
    {
      send_email: tool({
        description: 'Send one email to the customer.',
        inputSchema: jsonSchema<{ subject: string }>({
          type: 'object',
          properties: { subject: { type: 'string' } },
          required: ['subject'],
        }),
        execute: async ({ subject }) => {
          sent.push(subject);
          return `email sent: ${subject}`;
        },
      }),
    },
    { governor },
  );

  const result = await governor.withRun('4821', () =>
    generateText({
      model: governModel(models.model, {
        governor,
        downgrade: models.cheaper,
        onApplied: (applied) => {
          if (applied.downgradedTo) log(`  caps applied: switched to ${applied.downgradedTo}`);
        },
      }),
      tools,
      instructions: 'You are a support agent. Use send_email for every email; one email per tool call.',
      prompt: 'Send the customer five separate status emails about order 1234, one at a time.',
      maxOutputTokens: 200,
      stopWhen: [budgetExhausted({ governor }), isStepCount(12)],
    }),
  );
  log(`\nemails sent: ${sent.length}; model steps: ${result.steps.length}`);
  log(`final answer: ${result.text}`);
  const budgets = (await ledger.listBudgets()).filter((b) => b.scope === RUN);
  for (const b of budgets)
    log(`${RUN} ${b.unit}: spent ${b.spent} of ${b.allocated}, reserved ${b.reserved}`);
  return { ledger, sent, text: result.text, steps: result.steps.length };
}

function describe(event: GovernorEvent): string {
  const what = `${event.action.kind} ${event.action.name}`;
  switch (event.type) {
    case 'decision':
      return `${what}: ${event.decision}${event.caps ? ` ${JSON.stringify(event.caps)}` : ''}${event.reasonCode ? ` (${event.reasonCode})` : ''}`;
    case 'commit':
      return `  committed ${event.charged.amount} ${event.charged.unit}`;
    case 'release':
      return `  released (${event.reason})`;
    default:
      return `  ${event.type}`;
  }
}
