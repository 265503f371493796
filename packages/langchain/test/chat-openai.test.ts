import { tool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import { createAgent } from 'langchain';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type OpenAiServer, startOpenAiServer } from '../../../test/support/openai-server.js';
import { GovernorCallbackHandler, governorMiddleware } from '../src/index.js';
import { CHEAP, costOf, MODEL, setup } from './support.js';

let server: OpenAiServer;
beforeAll(async () => {
  server = await startOpenAiServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const chat = (model = 'gpt-4o-mini', fields: Partial<ConstructorParameters<typeof ChatOpenAI>[0]> = {}) =>
  new ChatOpenAI({ model, apiKey: 'test', maxRetries: 0, configuration: { baseURL: server.url }, ...fields });

describe('ChatOpenAI against the local OpenAI-compatible server', () => {
  it('callback handler, invoke: commits the usage the server reported', async () => {
    const { governor, settled } = await setup();
    server.reply({ text: 'Hi!', usage: { promptTokens: 1_200, completionTokens: 80, cachedTokens: 1_000 } });
    const answer = await chat('gpt-4o-mini', { maxTokens: 200 }).invoke('Say hi', {
      callbacks: [new GovernorCallbackHandler({ governor })],
    });
    expect(answer.content).toBe('Hi!');
    expect(server.requests[0]).toMatchObject({ model: 'gpt-4o-mini', stream: false, maxTokens: 200 });
    await settled({ USD_MICROCENTS: costOf(MODEL, 1_200, 80, 1_000) });
  });

  it('callback handler, stream: commits the usage chunk', async () => {
    const { governor, settled } = await setup();
    server.reply({
      text: 'A streamed answer, in pieces.',
      usage: { promptTokens: 300, completionTokens: 12 },
    });
    const stream = await chat().stream('x', { callbacks: [new GovernorCallbackHandler({ governor })] });
    let content = '';
    for await (const chunk of stream) content += String(chunk.content);
    expect(content).toBe('A streamed answer, in pieces.');
    expect(server.requests[0]?.body.stream_options).toEqual({ include_usage: true });
    await settled({ USD_MICROCENTS: costOf(MODEL, 300, 12) });
  });

  it('callback handler: a 500 surfaces and the reservation is released', async () => {
    const { governor, events, settled } = await setup();
    server.reply({ status: 500 });
    await expect(
      chat().invoke('x', { callbacks: [new GovernorCallbackHandler({ governor })] }),
    ).rejects.toThrow();
    expect(events.map((e) => e.type)).toEqual(['decision', 'release']);
    await settled({ USD_MICROCENTS: 0 });
  });

  it.each([false, true])(
    'agent middleware (streaming: %s): tool call, then answer; both committed',
    async (streaming) => {
      const { governor, settled } = await setup(
        { riskPoints: 5 },
        { riskPoints: { rules: [{ name: 'send_email', points: 1 }] } },
      );
      server.reply(
        {
          toolCalls: [{ name: 'send_email', arguments: { to: 'a@example.com' } }],
          usage: { promptTokens: 200, completionTokens: 30 },
        },
        { text: 'Done.', usage: { promptTokens: 260, completionTokens: 8 } },
      );
      const send_email = tool(async ({ to }) => `sent to ${to}`, {
        name: 'send_email',
        description: 'Send an email',
        schema: z.object({ to: z.string() }),
      });
      const agent = createAgent({
        model: chat(),
        tools: [send_email],
        middleware: [governorMiddleware({ governor })],
      });
      const input = { messages: [{ role: 'user', content: 'Email a.' }] };
      // Streaming the agent's messages makes LangChain call the model in streaming mode. (`streaming: true`
      // on ChatOpenAI with `invoke` counts tokens with js-tiktoken, which downloads its ranks: not offline.)
      let last: unknown;
      if (streaming) {
        let text = '';
        for await (const [chunk] of await agent.stream(input, { streamMode: 'messages' })) {
          if (chunk.type === 'ai') text += String(chunk.content);
        }
        last = text;
      } else {
        last = (await agent.invoke(input)).messages.at(-1)?.content;
      }
      expect(last).toBe('Done.');
      expect(server.requests.map((r) => [r.stream, r.tools])).toEqual([
        [streaming, ['send_email']],
        [streaming, ['send_email']],
      ]);
      await settled({ RISK_POINTS: 1, USD_MICROCENTS: costOf(MODEL, 200, 30) + costOf(MODEL, 260, 8) });
    },
  );

  it('agent middleware: caps reach the provider as the cheaper model, max_tokens and fewer tools', async () => {
    const { governor, ledger, settled } = await setup({ usd: 1_000_000 });
    await ledger.setDegradationPolicy({
      tiers: [{ atPercent: 50, caps: { maxTokens: 32, toolDenylist: ['send_email'] } }],
    });
    await governor.run(
      {
        action: { kind: 'llm.completion', name: 'earlier' },
        estimate: { unit: 'USD_MICROCENTS', amount: 600_000 },
      },
      () => ({ value: null, actual: 600_000 }),
    );
    server.reply({ text: 'cheap', usage: { promptTokens: 40, completionTokens: 20 } });
    const send_email = tool(async () => 'sent', {
      name: 'send_email',
      description: 'Send',
      schema: z.object({}),
    });
    const lookup = tool(async () => 'found', {
      name: 'lookup',
      description: 'Look up',
      schema: z.object({}),
    });
    const agent = createAgent({
      model: chat('gpt-4o-mini', { maxTokens: 1_000 }),
      tools: [send_email, lookup],
      middleware: [governorMiddleware({ governor, downgrade: chat('gpt-4.1-nano', { maxTokens: 1_000 }) })],
    });
    await agent.invoke({ messages: [{ role: 'user', content: 'x' }] });
    expect(server.requests[0]).toMatchObject({ model: 'gpt-4.1-nano', maxTokens: 32, tools: ['lookup'] });
    await settled({ USD_MICROCENTS: 600_000 + costOf(CHEAP, 40, 20) });
  });
});
