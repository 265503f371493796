/**
 * The scripted model of the demo: a support agent stuck in a retry loop. Each
 * step it sends one more status email; every `refundEvery` emails it also
 * issues a refund; on step 3 it tries `deploy_service` "to fix the mail
 * server". It ignores everything except a denial of `send_email` — then it
 * gives up and answers. With no denial it stops after `emails` emails.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4GenerateResult,
} from '@ai-sdk/provider';
import { MockLanguageModelV4 } from 'ai/test';

export interface ScriptOptions {
  emails: number;
  refundEvery: number;
  /** The step on which it calls deploy_service (once). */
  deployAt: number;
}

/** What the provider reports for one step: the agent's trimmed context in, a tool call out. */
export const STEP_USAGE = { input: 1_500, output: 120 } as const;
export const ANSWER_USAGE = { input: 1_500, output: 40 } as const;

const usage = ({ input, output }: { input: number; output: number }) => ({
  inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: 0 },
});

/** The emails this conversation has asked for so far (a model reads its own history). */
function emailsSoFar(call: LanguageModelV4CallOptions): number {
  let n = 0;
  for (const message of call.prompt) {
    if (message.role !== 'assistant') continue;
    for (const part of message.content) {
      if (part.type !== 'tool-call' || part.toolName !== 'send_email') continue;
      const input = (typeof part.input === 'string' ? JSON.parse(part.input) : part.input) as { n?: number };
      n = Math.max(n, input.n ?? 0);
    }
  }
  return n;
}

/** Was the last send_email refused? */
function emailDenied(call: LanguageModelV4CallOptions): boolean {
  const last = call.prompt.at(-1);
  if (last?.role !== 'tool') return false;
  return last.content.some(
    (part) =>
      part.type === 'tool-result' &&
      part.toolName === 'send_email' &&
      /not executed/.test(JSON.stringify(part.output)),
  );
}

/**
 * A scripted model. `emailsSent` is how many emails it has asked for across
 * its whole run; the trimmed prompt (`prepareStep`) hides old steps, so the
 * count is kept here, as the conversation state of the agent.
 */
export function scriptedModel(
  modelId: string,
  script: ScriptOptions,
  state: { asked: number },
): LanguageModelV4 {
  return new MockLanguageModelV4({
    provider: 'openai.chat',
    modelId,
    doGenerate: async (call): Promise<LanguageModelV4GenerateResult> => {
      state.asked = Math.max(state.asked, emailsSoFar(call));
      if (emailDenied(call) || state.asked >= script.emails) {
        const text = emailDenied(call)
          ? 'I could not send any more emails: the email budget for this run is spent.'
          : `All ${script.emails} emails are sent.`;
        return {
          content: [{ type: 'text', text }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: usage(ANSWER_USAGE),
          warnings: [],
        };
      }
      const n = state.asked + 1;
      state.asked = n;
      const content: LanguageModelV4Content[] = [
        {
          type: 'tool-call',
          toolCallId: `call-${n}-email`,
          toolName: 'send_email',
          input: JSON.stringify({ n, to: 'customer@example.com', subject: `Re: order 1234 (retry ${n})` }),
        },
      ];
      if (script.refundEvery > 0 && n % script.refundEvery === 0) {
        content.push({
          type: 'tool-call',
          toolCallId: `call-${n}-refund`,
          toolName: 'refund.issue',
          input: JSON.stringify({ order: '1234', amountUsd: 20 }),
        });
      }
      if (n === script.deployAt) {
        content.push({
          type: 'tool-call',
          toolCallId: `call-${n}-deploy`,
          toolName: 'deploy_service',
          input: JSON.stringify({ service: 'mail-relay', reason: 'emails keep failing' }),
        });
      }
      return {
        content,
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage: usage(STEP_USAGE),
        warnings: [],
      };
    },
  });
}
