import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { FakeChatModel } from '@langchain/core/utils/testing';
import type { AgentModels } from './agent.js';

/**
 * A fake chat model (from `@langchain/core/utils/testing`) stuck in the retry
 * loop: it emails until a tool result says it may not, and reports itself as
 * OpenAI's `model` so Governor prices it as that.
 */
class LoopingModel extends FakeChatModel {
  readonly model: string;
  readonly maxTokens: number | undefined;
  #n = 0;

  constructor(fields: { model: string; maxTokens?: number }) {
    super({});
    this.model = fields.model;
    this.maxTokens = fields.maxTokens;
    (this as unknown as { lc_kwargs: object }).lc_kwargs = fields; // re-creatable with a lower maxTokens
  }

  override getLsParams(options: this['ParsedCallOptions']) {
    return {
      ...super.getLsParams(options),
      ls_provider: 'openai',
      ls_model_name: this.model,
      ls_max_tokens: this.maxTokens,
    };
  }

  /** The script ignores tool definitions; binding returns the model itself. */
  override bindTools() {
    return this as never;
  }

  override async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const last = messages.at(-1);
    const denied = last?.type === 'tool' && String(last.content).includes('not executed');
    const usage_metadata = { input_tokens: 900, output_tokens: 30, total_tokens: 930 };
    const message = denied
      ? new AIMessage({
          content: 'I could not send every email: the email budget for this run is spent.',
          usage_metadata,
        })
      : new AIMessage({
          content: '',
          tool_calls: [
            {
              id: `${this.model}-${++this.#n}`,
              name: 'send_email',
              args: { subject: `Order 1234 status, part ${this.#n}` },
              type: 'tool_call',
            },
          ],
          usage_metadata,
        });
    return { generations: [{ message, text: String(message.content) }] };
  }
}

/** Real OpenAI models when OPENAI_API_KEY is set, scripted fakes otherwise. */
export async function pickModels(): Promise<AgentModels & { real: boolean }> {
  if (process.env.OPENAI_API_KEY) {
    const { ChatOpenAI } = await import('@langchain/openai');
    return {
      model: new ChatOpenAI({ model: 'gpt-4o-mini', maxTokens: 200 }),
      cheaper: new ChatOpenAI({ model: 'gpt-4.1-nano', maxTokens: 200 }),
      real: true,
    };
  }
  return {
    model: new LoopingModel({ model: 'gpt-4o-mini', maxTokens: 200 }),
    cheaper: new LoopingModel({ model: 'gpt-4.1-nano', maxTokens: 200 }),
    real: false,
  };
}
