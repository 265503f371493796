/**
 * The agent built with the AI SDK: `generateText`, a multi-step tool loop,
 * driven by the scripted `MockLanguageModelV4`. Governed with
 * `@governor/ai-sdk` (`governModel` with a downgrade, `governTools` per
 * toolset, `budgetExhausted` as a loop guard). The MCP path reuses the loop
 * with tools that call an MCP server.
 */
import { budgetExhausted, governModel, governTools } from '@governor/ai-sdk';
import { BudgetDeniedError, createPricing, deniedToolMessage, stoppedMessage } from '@governor/core';
import { generateText, isStepCount, jsonSchema, type ModelMessage, type ToolSet, tool } from 'ai';
import { scriptedModel } from '../model.js';
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

const TOOL_NAMES = Object.keys(TOOL_DESCRIPTIONS) as ToolName[];

/** The agent's tools as AI SDK tools; `execute` runs one call (locally, or on an MCP server). */
export function aiSdkTools(
  execute: (name: ToolName, input: Record<string, unknown>) => Promise<string>,
  names: readonly ToolName[] = TOOL_NAMES,
): ToolSet {
  const tools: ToolSet = {};
  for (const name of names) {
    tools[name] = tool({
      description: TOOL_DESCRIPTIONS[name],
      inputSchema: jsonSchema<Record<string, unknown>>({ type: 'object', additionalProperties: true }),
      execute: (input) => execute(name, input),
    });
  }
  return tools;
}

/** The agent's real tools, run in-process: they only count what they did. */
const localTools = (executed: Executed, names?: readonly ToolName[]) =>
  aiSdkTools(async (name, input) => perform(executed, name, input), names);

/**
 * The gateway layer: tools not on the allowlist are not reachable. Their
 * calls are answered here and never reach the tool, nor the authority.
 */
export function allowlistGateway<T extends ToolSet>(
  tools: T,
  allowlist: readonly string[],
  onBlocked: (toolName: string) => void,
): T {
  const out: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(tools)) {
    out[name] = allowlist.includes(name)
      ? t
      : {
          ...t,
          execute: async () => {
            onBlocked(name);
            return notReachable(name);
          },
        };
  }
  return out as T;
}

/** Keep the first message (the task) and the last two steps: the agent's context stays bounded. */
function trim(messages: ModelMessage[]): ModelMessage[] {
  return messages.length <= 5 ? messages : [messages[0] as ModelMessage, ...messages.slice(-4)];
}

/** The stuck agent with nothing in its way; `executed` is what its tools count. */
export async function ungovernedLoop(
  s: Scenario,
  tools: ToolSet,
  executed: Executed,
  onStep?: (p: Progress) => void,
): Promise<UngovernedResult> {
  const state = { asked: 0 };
  const pricing = createPricing();
  let modelCost = 0;
  let step = 0;
  const result = await generateText({
    model: scriptedModel(s.model, scriptOf(s), state),
    tools,
    instructions: INSTRUCTIONS,
    prompt: PROMPT,
    maxOutputTokens: MAX_OUTPUT_TOKENS,
    maxRetries: 0,
    toolCallConcurrency: 1,
    prepareStep: ({ messages }) => ({ messages: trim(messages) }),
    stopWhen: isStepCount(maxSteps(s)),
    onStepFinish: (stepResult) => {
      step += 1;
      modelCost += pricing.cost(
        { provider: 'openai', modelId: stepResult.model.modelId },
        {
          inputTokens: stepResult.usage.inputTokens ?? 0,
          outputTokens: stepResult.usage.outputTokens ?? 0,
        },
      );
      onStep?.({ phase: 'ungoverned', step, emails: executed.send_email, total: s.emails });
    },
  });
  return { modelCalls: result.steps.length, executed, modelCost, answer: result.text };
}

/**
 * The same loop governed: `tools` are already governed (per toolset) and go
 * behind the allowlist gateway here; the model is governed with a downgrade
 * and the loop stops when `budgetExhausted` says the next step would be denied.
 */
export async function governedLoop(run: GovernedRun, tools: ToolSet): Promise<GovernedResult> {
  const s = run.scenario;
  const { governor } = run;
  const guard = budgetExhausted({ governor });
  let guardStopped = false;
  const gated = allowlistGateway(tools, ALLOWLIST, (name) => run.gatewayBlocked(name));
  const model = governModel(scriptedModel(s.model, run.script, run.state), {
    governor,
    downgrade: scriptedModel(s.cheaperModel, run.script, run.state),
    onApplied: (applied) => run.modelCallApplied(applied.downgradedTo !== undefined),
  });
  let answer = '';
  try {
    const result = await governor.withRun(s.run, () =>
      generateText({
        model,
        tools: gated,
        instructions: INSTRUCTIONS,
        prompt: PROMPT,
        maxOutputTokens: MAX_OUTPUT_TOKENS,
        maxRetries: 0,
        toolCallConcurrency: 1,
        prepareStep: ({ messages }) => ({ messages: trim(messages) }),
        stopWhen: [
          async (options) => {
            guardStopped = await guard(options);
            return guardStopped;
          },
          isStepCount(maxSteps(s)),
        ],
        onStepFinish: () => run.stepDone(),
      }),
    );
    answer = result.text;
  } catch (error) {
    if (!(error instanceof BudgetDeniedError)) throw error;
    // The model call itself was denied (the run's or tenant's dollars): the loop ends here.
    run.denied(error);
    answer = stoppedMessage(error);
  }
  if (guardStopped) {
    const stopped = run.stoppedByGuard();
    answer ||= stopped ?? '';
  }
  return run.finish(answer);
}

/** The AI SDK agent, ungoverned. */
export function runUngoverned(s: Scenario, onStep?: (p: Progress) => void): Promise<UngovernedResult> {
  const executed = newExecuted();
  return ungovernedLoop(s, localTools(executed), executed, onStep);
}

/** The AI SDK agent behind the gateway (allowlist) and Governor (`governTools` per toolset). */
export function runGoverned(
  s: Scenario,
  ledger: DemoLedger,
  onStep?: (p: Progress) => void,
): Promise<GovernedResult> {
  const run = new GovernedRun(s, ledger, onStep);
  const denied = (error: BudgetDeniedError, toolName: string) => {
    run.denied(error);
    return deniedToolMessage(error, toolName);
  };
  const tools: ToolSet = {};
  for (const name of TOOL_NAMES) {
    Object.assign(
      tools,
      governTools(localTools(run.executed, [name]), {
        governor: run.governor,
        subject: { toolset: TOOLSETS[name] },
        deniedResult: denied,
      }),
    );
  }
  return governedLoop(run, tools);
}
