/**
 * The runaway-email incident with LangChain's createAgent: a support agent
 * asked for status emails keeps calling `send_email`. Governor's middleware
 * reserves every model call in dollars and every email in RISK_POINTS; the
 * run has 3 points, so the fourth email is not executed, the model reads why
 * and stops; past 50 % of the run's dollars the model is downgraded and capped.
 */
import { createGovernor, type GovernorEvent, MemoryAuthority } from '@governor/core';
import { governorMiddleware } from '@governor/langchain';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { tool } from '@langchain/core/tools';
import { createAgent, modelCallLimitMiddleware } from 'langchain';
import { z } from 'zod';

export const RUN = 'tenant:acme/workflow:support/run:4821';

export interface AgentModels {
  model: BaseChatModel;
  /** The cheaper model used once the run nears its dollar budget. */
  cheaper: BaseChatModel;
}

export async function runAgent(models: AgentModels, log: (line: string) => void = console.log) {
  const ledger = new MemoryAuthority();
  await ledger.createBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: 5_000_000_000 }); // $50
  await ledger.createBudget({ scope: RUN, unit: 'USD_MICROCENTS', allocated: 100_000 }); // 0.1 cents
  await ledger.createBudget({ scope: RUN, unit: 'RISK_POINTS', allocated: 3 });
  await ledger.setDegradationPolicy({
    units: ['USD_MICROCENTS'],
    tiers: [{ atPercent: 50, caps: { maxTokens: 128 } }],
  });
  const governor = createGovernor({
    authority: ledger,
    subject: { tenant: 'acme', workflow: 'support' },
    riskPoints: { rules: [{ name: 'send_email', points: 1 }] },
    on: (event) => log(describe(event)),
  });

  const sent: string[] = [];
  const send_email = tool(
    async ({ subject }) => {
      sent.push(subject);
      return `email sent: ${subject}`;
    },
    {
      name: 'send_email',
      description: 'Send one email to the customer.',
      schema: z.object({ subject: z.string() }),
    },
  );
  const agent = createAgent({
    model: models.model,
    tools: [send_email],
    systemPrompt: 'You are a support agent. Use send_email for every email; one email per tool call.',
    middleware: [
      governorMiddleware({
        governor,
        downgrade: models.cheaper,
        onApplied: (applied) => {
          if (applied.downgradedTo)
            log(`  caps applied: switched to ${applied.downgradedTo}, max tokens ${applied.maxOutputTokens}`);
        },
      }),
      modelCallLimitMiddleware({ runLimit: 12, exitBehavior: 'end' }),
    ],
  });
  const result = await governor.withRun('4821', () =>
    agent.invoke({
      messages: [
        {
          role: 'user',
          content: 'Send the customer five separate status emails about order 1234, one at a time.',
        },
      ],
    }),
  );
  const text = String(result.messages.at(-1)?.content ?? '');
  log(`\nemails sent: ${sent.length}; messages: ${result.messages.length}`);
  log(`final answer: ${text}`);
  for (const b of (await ledger.listBudgets()).filter((b) => b.scope === RUN))
    log(`${RUN} ${b.unit}: spent ${b.spent} of ${b.allocated}, reserved ${b.reserved}`);
  return { ledger, sent, text };
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
