import {
  createGovernor,
  createPricing,
  type GovernorEvent,
  type GovernorOptions,
  ManualClock,
  MemoryAuthority,
  type Unit,
} from '@governor/core';
import { assertLedgerInvariant } from '@governor/core/testing';
import type { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { BaseMessage } from '@langchain/core/messages';
import { AIMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { FakeChatModel } from '@langchain/core/utils/testing';
import { expect } from 'vitest';

export const TENANT = 'tenant:acme';
export const WORKFLOW = 'tenant:acme/workflow:support';
export const RUN = 'tenant:acme/workflow:support/run:r1';
export const MODEL = { provider: 'openai', modelId: 'gpt-4o-mini' };
export const CHEAP = { provider: 'openai', modelId: 'gpt-4.1-nano' };
export const pricing = createPricing();

/** What `input`/`output` tokens cost on `model`, as Governor prices them. */
export const costOf = (
  model: { provider: string; modelId: string },
  input: number,
  output: number,
  cached = 0,
) => pricing.cost(model, { inputTokens: input, outputTokens: output, cachedInputTokens: cached });

export const usage = (input: number, output: number) => ({
  input_tokens: input,
  output_tokens: output,
  total_tokens: input + output,
});

export interface Budgets {
  usd?: number;
  riskPoints?: number;
  /** Budgets for every run under the workflow (a template), instead of run r1's. */
  perRun?: boolean;
  /** Subject without a run level: LangChain's runs become Governor's. */
  noRun?: boolean;
}

/** A MemoryAuthority with tenant and run budgets, and a governor (acting as run r1 unless `noRun`). */
export async function setup(budgets: Budgets = {}, options: Partial<GovernorOptions> = {}) {
  const clock = new ManualClock();
  const ledger = new MemoryAuthority({ clock });
  await ledger.createBudget({ scope: TENANT, unit: 'USD_MICROCENTS', allocated: 100_000_000 });
  const usd = budgets.usd ?? 10_000_000;
  if (budgets.perRun) {
    await ledger.addTemplate({ match: `${WORKFLOW}/run:*`, unit: 'USD_MICROCENTS', allocated: usd });
    if (budgets.riskPoints !== undefined)
      await ledger.addTemplate({
        match: `${WORKFLOW}/run:*`,
        unit: 'RISK_POINTS',
        allocated: budgets.riskPoints,
      });
  } else {
    await ledger.createBudget({ scope: RUN, unit: 'USD_MICROCENTS', allocated: usd });
    if (budgets.riskPoints !== undefined)
      await ledger.createBudget({ scope: RUN, unit: 'RISK_POINTS', allocated: budgets.riskPoints });
  }
  const events: GovernorEvent[] = [];
  const governor = createGovernor({
    authority: ledger,
    admin: ledger,
    subject: budgets.noRun
      ? { tenant: 'acme', workflow: 'support' }
      : { tenant: 'acme', workflow: 'support', run: 'r1' },
    clock,
    on: (event) => events.push(event),
    ...options,
  });
  const budget = async (unit: Unit = 'USD_MICROCENTS', scope = RUN) => {
    const info = await ledger.getBudget({ scope, unit });
    if (!info) throw new Error(`no ${unit} budget at ${scope}`);
    return info;
  };
  /** The ledger invariant holds, nothing is reserved, and `spent` at `scope` is exactly `expected` per unit. */
  const settled = async (expected: Partial<Record<Unit, number>>, scope = RUN) => {
    await assertLedgerInvariant(ledger);
    expect((await ledger.listReservations({ status: 'ACTIVE' })).reservations).toEqual([]);
    for (const [unit, spent] of Object.entries(expected)) {
      expect(await budget(unit as Unit, scope)).toMatchObject({ spent, reserved: 0 });
    }
  };
  return { clock, ledger, governor, events, budget, settled };
}

export type Script = (
  messages: BaseMessage[],
  call: { tools: string[]; model: string; maxTokens?: number },
) => AIMessage;

/**
 * A fake chat model from `@langchain/core/utils/testing`, scripted: each call
 * answers `script(messages)`, reports itself to LangSmith params as OpenAI's
 * `model`, binds tools by name and records every call.
 */
export class ScriptedChatModel extends FakeChatModel {
  readonly calls: { model: string; tools: string[]; maxTokens?: number; messages: BaseMessage[] }[];
  readonly model: string;
  readonly maxTokens?: number;
  readonly #script: Script;
  readonly #tools: string[];

  constructor(fields: {
    model?: string;
    maxTokens?: number;
    script: Script;
    tools?: string[];
    calls?: ScriptedChatModel['calls'];
    callbacks?: BaseCallbackHandler[];
  }) {
    super(fields.callbacks ? { callbacks: fields.callbacks } : {});
    this.model = fields.model ?? MODEL.modelId;
    if (fields.maxTokens !== undefined) this.maxTokens = fields.maxTokens;
    this.#script = fields.script;
    this.#tools = fields.tools ?? [];
    this.calls = fields.calls ?? [];
    // Re-creatable with other fields (the middleware's max-tokens cap does that).
    (this as unknown as { lc_kwargs: object }).lc_kwargs = { ...fields, calls: this.calls };
  }

  override getLsParams(options: this['ParsedCallOptions']) {
    return {
      ...super.getLsParams(options),
      ls_provider: 'openai',
      ls_model_name: this.model,
      ls_max_tokens: this.maxTokens,
    };
  }

  override bindTools(tools: { name?: string }[]) {
    return new ScriptedChatModel({
      model: this.model,
      ...(this.maxTokens !== undefined ? { maxTokens: this.maxTokens } : {}),
      script: this.#script,
      tools: tools.map((t) => t.name ?? ''),
      calls: this.calls,
    }) as never;
  }

  override async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const call = {
      model: this.model,
      tools: this.#tools,
      ...(this.maxTokens !== undefined ? { maxTokens: this.maxTokens } : {}),
    };
    this.calls.push({ ...call, messages });
    const message = this.#script(messages, call);
    // As a provider reports it: which model answered.
    message.response_metadata = {
      model_provider: 'openai',
      model_name: this.model,
      ...message.response_metadata,
    };
    return { generations: [{ message, text: typeof message.content === 'string' ? message.content : '' }] };
  }
}

export const text = (content: string, u = usage(100, 20)) => new AIMessage({ content, usage_metadata: u });

export const toolCall = (name: string, args: Record<string, unknown>, u = usage(100, 20)) =>
  new AIMessage({
    content: '',
    tool_calls: [{ id: `call_${Math.random().toString(36).slice(2)}`, name, args, type: 'tool_call' }],
    usage_metadata: u,
  });

/** The content of the last tool message, if the conversation ends with one. */
export const lastToolOutput = (messages: BaseMessage[]) => {
  const last = messages.at(-1);
  return last?.type === 'tool' ? String(last.content) : undefined;
};
