import { tool } from '@langchain/core/tools';
import {
  createAgent,
  modelCallLimitMiddleware,
  summarizationMiddleware,
  toolCallLimitMiddleware,
} from 'langchain';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GovernorCallbackHandler, governorMiddleware } from '../src/index.js';
import { costOf, MODEL, ScriptedChatModel, setup, text, toolCall, usage } from './support.js';

describe('composition with LangChain’s own middleware', () => {
  it('modelCallLimit, toolCallLimit and summarization in one agent with Governor; balances exact', async () => {
    const { governor, settled } = await setup(
      { riskPoints: 10 },
      { riskPoints: { rules: [{ name: 'send_email', points: 1 }] } },
    );
    const sent: string[] = [];
    const send_email = tool(
      async ({ to }) => {
        sent.push(to);
        return `sent to ${to}`;
      },
      { name: 'send_email', description: 'Send an email', schema: z.object({ to: z.string() }) },
    );
    // The agent's model never stops on its own: LangChain's limits must end it.
    const model = new ScriptedChatModel({
      script: () => toolCall('send_email', { to: 'customer@example.com' }),
    });
    // The summarizer runs outside wrapModelCall; the callback handler governs it.
    const summarizer = new ScriptedChatModel({
      script: () => text('Summary: emails were sent.', usage(500, 50)),
      callbacks: [new GovernorCallbackHandler({ governor })],
    });
    const agent = createAgent({
      model,
      tools: [send_email],
      middleware: [
        governorMiddleware({ governor }),
        modelCallLimitMiddleware({ runLimit: 3, exitBehavior: 'end' }),
        toolCallLimitMiddleware({ toolName: 'send_email', runLimit: 2 }),
        summarizationMiddleware({ model: summarizer, trigger: { messages: 4 }, keep: { messages: 2 } }),
      ],
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'Email the customer.' }] });
    // toolCallLimit blocked the third email before it reached wrapToolCall (and ended the run);
    // modelCallLimit (3) would have ended it at the same point.
    expect(sent).toHaveLength(2);
    expect(model.calls).toHaveLength(3);
    expect(summarizer.calls.length).toBeGreaterThan(0);
    expect(String(result.messages.at(-1)?.content)).toMatch(/limit/i);
    await settled({
      RISK_POINTS: 2,
      USD_MICROCENTS:
        model.calls.length * costOf(MODEL, 100, 20) + summarizer.calls.length * costOf(MODEL, 500, 50),
    });
  });
});
