import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
} from '@ai-sdk/provider';
import { MockLanguageModelV4 } from 'ai/test';
import type { AgentModels } from './agent.js';

const usage = (input: number, output: number) => ({
  inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: 0 },
});

/** Did the last tool result say the email was not executed? */
const wasDenied = (call: LanguageModelV4CallOptions) => {
  const last = call.prompt.at(-1);
  return last?.role === 'tool' && JSON.stringify(last.content).includes('not executed');
};

/** A scripted model stuck in the retry loop: it emails until told it may not. */
function scripted(modelId: string): LanguageModelV4 {
  let n = 0;
  return new MockLanguageModelV4({
    provider: 'openai.chat',
    modelId,
    doGenerate: async (call): Promise<LanguageModelV4GenerateResult> =>
      wasDenied(call)
        ? {
            content: [
              { type: 'text', text: 'I could not send every email: the email budget for this run is spent.' },
            ],
            finishReason: { unified: 'stop', raw: 'stop' },
            usage: usage(900, 30),
            warnings: [],
          }
        : {
            content: [
              {
                type: 'tool-call',
                toolCallId: `${modelId}-${++n}`,
                toolName: 'send_email',
                input: JSON.stringify({ subject: `Order 1234 status, part ${n}` }),
              },
            ],
            finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
            usage: usage(800, 300),
            warnings: [],
          },
  });
}

/** A real OpenAI model when OPENAI_API_KEY is set, a scripted one otherwise. */
export async function pickModels(): Promise<AgentModels & { real: boolean }> {
  if (process.env.OPENAI_API_KEY) {
    const { openai } = await import('@ai-sdk/openai');
    return { model: openai('gpt-4o-mini'), cheaper: openai('gpt-4.1-nano'), real: true };
  }
  return { model: scripted('gpt-4o-mini'), cheaper: scripted('gpt-4.1-nano'), real: false };
}
