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
  /** Retry with the very same arguments every time (a true retry loop: what the loop breaker catches). */
  identical?: boolean;
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
    (part) => part.type === 'tool-result' && part.toolName === 'send_email' && isDenial(part.output),
  );
}

/** What the scripted agent does next: answer, or call these tools. */
export type Move =
  | { kind: 'answer'; text: string; usage: typeof ANSWER_USAGE }
  | {
      kind: 'tools';
      calls: Array<{ id: string; name: string; input: Record<string, unknown> }>;
      usage: typeof STEP_USAGE;
    };

/**
 * The script itself, framework-neutral: `seen` is what the model read in its
 * (trimmed) prompt — the highest email number it asked for, and whether the
 * last send_email was refused. `state.asked` is how many emails it has asked
 * for across its whole run (the trimmed prompt hides old steps, so the count
 * is kept here, as the conversation state of the agent).
 */
export function nextMove(
  script: ScriptOptions,
  state: { asked: number },
  seen: { emails: number; emailDenied: boolean },
): Move {
  state.asked = Math.max(state.asked, seen.emails);
  if (seen.emailDenied || state.asked >= script.emails) {
    const text = seen.emailDenied
      ? script.identical
        ? 'I could not send the email: the same retry was refused as a loop.'
        : 'I could not send any more emails: the email budget for this run is spent.'
      : `All ${script.emails} emails are sent.`;
    return { kind: 'answer', text, usage: ANSWER_USAGE };
  }
  const n = state.asked + 1;
  state.asked = n;
  const calls: Extract<Move, { kind: 'tools' }>['calls'] = [
    {
      id: `call-${n}-email`,
      name: 'send_email',
      // Identical retries resend email #1 as it was (the tool schemas ask for its number).
      input: script.identical
        ? { n: 1, to: 'customer@example.com', subject: 'Re: order 1234' }
        : { n, to: 'customer@example.com', subject: `Re: order 1234 (retry ${n})` },
    },
  ];
  if (script.refundEvery > 0 && n % script.refundEvery === 0) {
    calls.push({ id: `call-${n}-refund`, name: 'refund.issue', input: { order: '1234', amountUsd: 20 } });
  }
  if (n === script.deployAt) {
    calls.push({
      id: `call-${n}-deploy`,
      name: 'deploy_service',
      input: { service: 'mail-relay', reason: 'emails keep failing' },
    });
  }
  return { kind: 'tools', calls, usage: STEP_USAGE };
}

/** Does a tool's answer say it was refused (by the authority: "not executed: …")? */
export const isDenial = (output: unknown): boolean =>
  /not executed/.test(typeof output === 'string' ? output : JSON.stringify(output));

/** The AI SDK face of the script: a `MockLanguageModelV4`. */
export function scriptedModel(
  modelId: string,
  script: ScriptOptions,
  state: { asked: number },
): LanguageModelV4 {
  return new MockLanguageModelV4({
    provider: 'openai.chat',
    modelId,
    doGenerate: async (call): Promise<LanguageModelV4GenerateResult> => {
      const move = nextMove(script, state, { emails: emailsSoFar(call), emailDenied: emailDenied(call) });
      if (move.kind === 'answer') {
        return {
          content: [{ type: 'text', text: move.text }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: usage(move.usage),
          warnings: [],
        };
      }
      const content: LanguageModelV4Content[] = move.calls.map((c) => ({
        type: 'tool-call',
        toolCallId: c.id,
        toolName: c.name,
        input: JSON.stringify(c.input),
      }));
      return {
        content,
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage: usage(move.usage),
        warnings: [],
      };
    },
  });
}
