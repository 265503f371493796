/**
 * The agent built with LangChain: `createAgent` with a scripted chat model (a
 * `FakeChatModel` that reports itself as OpenAI's), tools made with `tool()`,
 * and middleware for the context trim and the gateway. Governed with
 * `@governor/langchain`: `governorMiddleware` governs the model calls (caps,
 * downgrade, commits from `usage_metadata`) and the tool calls, each under its
 * toolset (`toolSubject`).
 */
import { type BudgetDeniedError, createPricing } from '@governor/core';
import { budgetDenialOf, deniedToolMessage, governorMiddleware, stoppedMessage } from '@governor/langchain';
import { AIMessage, type BaseMessage, ToolMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { type StructuredToolInterface, tool } from '@langchain/core/tools';
import { FakeChatModel } from '@langchain/core/utils/testing';
import { createAgent, createMiddleware } from 'langchain';
import { z } from 'zod';
import { isDenial, nextMove, type ScriptOptions } from '../model.js';
import {
  ALLOWLIST,
  type DemoLedger,
  type Executed,
  type GovernedResult,
  GovernedRun,
  INSTRUCTIONS,
  MAX_OUTPUT_TOKENS,
  maxSteps,
  newExecuted,
  notReachable,
  PROMPT,
  type Progress,
  perform,
  type Scenario,
  scriptOf,
  TOOL_DESCRIPTIONS,
  TOOLSETS,
  type ToolName,
  type UngovernedResult,
} from '../scenario.js';
import { INPUT_SHAPES } from './schemas.js';

const TOOL_NAMES = Object.keys(TOOL_DESCRIPTIONS) as ToolName[];

interface ScriptedFields {
  model: string;
  maxTokens: number;
  script: ScriptOptions;
  state: { asked: number };
}

/**
 * The script as a LangChain chat model: reports itself to LangSmith params
 * as OpenAI's `model` (that is how Governor prices it), binds tools by name,
 * and can be re-created from its fields (the max-tokens cap does that).
 */
class ScriptedChatModel extends FakeChatModel {
  readonly model: string;
  readonly maxTokens: number;
  readonly #fields: ScriptedFields;

  constructor(fields: ScriptedFields) {
    super({});
    this.model = fields.model;
    this.maxTokens = fields.maxTokens;
    this.#fields = fields;
    (this as unknown as { lc_kwargs: object }).lc_kwargs = { ...fields };
  }

  override getLsParams(options: this['ParsedCallOptions']) {
    return {
      ...super.getLsParams(options),
      ls_provider: 'openai',
      ls_model_name: this.model,
      ls_max_tokens: this.maxTokens,
    };
  }

  override bindTools() {
    return new ScriptedChatModel(this.#fields) as never;
  }

  override async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const move = nextMove(this.#fields.script, this.#fields.state, read(messages));
    const usage_metadata = {
      input_tokens: move.usage.input,
      output_tokens: move.usage.output,
      total_tokens: move.usage.input + move.usage.output,
    };
    const message =
      move.kind === 'answer'
        ? new AIMessage({ content: move.text, usage_metadata })
        : new AIMessage({
            content: '',
            tool_calls: move.calls.map((c) => ({ id: c.id, name: c.name, args: c.input, type: 'tool_call' })),
            usage_metadata,
          });
    return { generations: [{ message, text: typeof message.content === 'string' ? message.content : '' }] };
  }
}

/** What the model reads in its prompt: the emails it asked for, and whether the last one was refused. */
function read(messages: BaseMessage[]): { emails: number; emailDenied: boolean } {
  let emails = 0;
  for (const m of messages) {
    if (!AIMessage.isInstance(m)) continue;
    for (const call of m.tool_calls ?? []) {
      if (call.name === 'send_email') emails = Math.max(emails, Number(call.args.n ?? 0));
    }
  }
  let emailDenied = false;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!m || !ToolMessage.isInstance(m)) break;
    if (m.name === 'send_email' && isDenial(m.content)) emailDenied = true;
  }
  return { emails, emailDenied };
}

/** Keep the task and the last two steps (each AI message with its tool results): the context stays bounded. */
const trimContext = createMiddleware({
  name: 'TrimContext',
  wrapModelCall: (request, handler) => {
    const ai = request.messages.flatMap((m, i) => (AIMessage.isInstance(m) ? [i] : []));
    if (ai.length <= 2) return handler(request);
    const first = request.messages[0];
    const recent = request.messages.slice(ai.at(-2));
    return handler({ ...request, messages: first ? [first, ...recent] : recent });
  },
});

/** The agent's real tools: they only count what they did. */
const agentTools = (executed: Executed): Record<ToolName, StructuredToolInterface> =>
  Object.fromEntries(
    TOOL_NAMES.map((name) => [
      name,
      tool(async (input: Record<string, unknown>) => perform(executed, name, input), {
        name,
        description: TOOL_DESCRIPTIONS[name],
        schema: z.object(INPUT_SHAPES[name]),
      }),
    ]),
  ) as unknown as Record<ToolName, StructuredToolInterface>;

const model = (s: Scenario, modelId: string, state: { asked: number }) =>
  new ScriptedChatModel({ model: modelId, maxTokens: MAX_OUTPUT_TOKENS, script: scriptOf(s), state });

const input = { messages: [{ role: 'user', content: PROMPT }] };
/** LangGraph counts a super-step per node; a step here is a few nodes (model, middleware hooks, tools). */
const config = (s: Scenario) => ({ recursionLimit: 10 * maxSteps(s) });
const textOf = (m: BaseMessage | undefined) => (typeof m?.content === 'string' ? m.content : '');

/** The createAgent agent with nothing in its way. */
export async function runUngoverned(s: Scenario, onStep?: (p: Progress) => void): Promise<UngovernedResult> {
  const executed = newExecuted();
  const pricing = createPricing();
  let modelCost = 0;
  let step = 0;
  const costs = createMiddleware({
    name: 'DemoCost',
    afterModel: (state) => {
      const last = state.messages.at(-1);
      const usage = last && AIMessage.isInstance(last) ? last.usage_metadata : undefined;
      modelCost += pricing.cost(
        { provider: 'openai', modelId: s.model },
        { inputTokens: usage?.input_tokens ?? 0, outputTokens: usage?.output_tokens ?? 0 },
      );
      step += 1;
      onStep?.({ phase: 'ungoverned', step, emails: executed.send_email, total: s.emails });
      return undefined;
    },
  });
  const agent = createAgent({
    model: model(s, s.model, { asked: 0 }),
    tools: Object.values(agentTools(executed)),
    systemPrompt: INSTRUCTIONS,
    middleware: [trimContext, costs],
  });
  const result = await agent.invoke(input, config(s));
  return {
    modelCalls: result.messages.filter((m) => AIMessage.isInstance(m)).length,
    executed,
    modelCost,
    answer: textOf(result.messages.at(-1)),
  };
}

/** The same agent behind the allowlist gateway (a middleware) and Governor. */
export async function runGoverned(
  s: Scenario,
  ledger: DemoLedger,
  onStep?: (p: Progress) => void,
): Promise<GovernedResult> {
  const run = new GovernedRun(s, ledger, onStep);
  const { governor } = run;
  const gateway = createMiddleware({
    name: 'AllowlistGateway',
    wrapToolCall: (request, handler) => {
      const { name, id } = request.toolCall;
      if (ALLOWLIST.includes(name as (typeof ALLOWLIST)[number])) return handler(request);
      run.gatewayBlocked(name);
      return new ToolMessage({ content: notReachable(name), tool_call_id: id ?? '', name, status: 'error' });
    },
  });
  const steps = createMiddleware({
    name: 'DemoProgress',
    afterModel: () => {
      run.stepDone();
      return undefined;
    },
  });
  const denied = (error: BudgetDeniedError, toolName: string) => {
    run.denied(error);
    return deniedToolMessage(error, toolName);
  };
  const agent = createAgent({
    model: model(s, s.model, run.state),
    tools: Object.values(agentTools(run.executed)),
    systemPrompt: INSTRUCTIONS,
    middleware: [
      gateway,
      trimContext,
      governorMiddleware({
        governor,
        downgrade: model(s, s.cheaperModel, run.state),
        onApplied: (applied) => run.modelCallApplied(applied.downgradedTo !== undefined),
        onModelDeny: 'throw',
        toolSubject: (name) => ({ toolset: TOOLSETS[name as ToolName] }),
        deniedResult: denied,
      }),
      steps,
    ],
  });
  let answer: string;
  try {
    const result = await governor.withRun(s.run, () => agent.invoke(input, config(s)));
    answer = textOf(result.messages.at(-1));
  } catch (error) {
    // createAgent wraps a middleware's error in its MiddlewareError (once per enclosing middleware).
    const denial = budgetDenialOf(error);
    if (!denial) throw error;
    // The model call itself was denied (the run's or tenant's dollars): the agent ends here.
    run.denied(denial);
    answer = stoppedMessage(denial);
  }
  return run.finish(answer);
}
