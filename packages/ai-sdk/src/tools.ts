import {
  type BudgetDeniedError,
  budgetDenialOf,
  deniedToolMessage,
  type Governor,
  governToolCall,
  type RiskPointsByTool,
  type Subject,
} from '@governor/core';
import type { ToolExecutionOptions, ToolSet } from 'ai';

export interface GovernToolsOptions {
  governor: Governor;
  /**
   * Risk points per call of a tool, by tool name: a number, or a function of
   * the call's input (e.g. a refund's amount class). Tools not named here use
   * the governor's risk-point table (`riskPoints` of `createGovernor`). A
   * 0-point call reserves nothing but is still checked against the caps.
   */
  riskPoints?: RiskPointsByTool;
  /** `result` (default): a denied call returns a result the model can read; `throw`: it throws `BudgetDeniedError`. */
  onDeny?: 'result' | 'throw';
  /** The result a denied call returns; default a sentence such as "not executed: …". */
  deniedResult?: (denial: BudgetDeniedError, toolName: string) => unknown;
  /** Action kind of a tool call; default `tool.call`. */
  kind?: string;
  /** Levels added to the current subject for every tool call (e.g. `{ toolset: 'email' }`). */
  subject?: Partial<Subject>;
  /** Levels added per tool (e.g. `(name) => ({ toolset: name.split('_')[0] })`), over `subject`. */
  toolSubject?: (toolName: string) => Partial<Subject> | undefined;
}

type Execute = (input: unknown, options: ToolExecutionOptions<unknown>) => unknown;

/**
 * `tools` with every `execute` guarded by core's tool guard: the caps in
 * force first (whatever the points), valid points, reserve the call's
 * RISK_POINTS, run, commit them — a tool that started and then threw is
 * charged too (it may have acted). A denied call does not run; consecutive
 * denials count towards the run's circuit breaker.
 */
export function governTools<TOOLS extends ToolSet>(tools: TOOLS, options: GovernToolsOptions): TOOLS {
  const out: Record<string, unknown> = {};
  for (const [name, tool] of Object.entries(tools)) {
    const execute = tool.execute as Execute | undefined;
    out[name] = execute ? { ...tool, execute: guard(name, execute, options) } : tool;
  }
  return out as TOOLS;
}

function guard(name: string, execute: Execute, options: GovernToolsOptions): Execute {
  const perTool = options.toolSubject?.(name);
  const subject = perTool || options.subject ? { ...options.subject, ...perTool } : undefined;
  const guardOptions = { ...options, subject };
  const action = { kind: options.kind ?? 'tool.call', name };
  return async (input, executionOptions) => {
    try {
      return await governToolCall(guardOptions, { name, args: input }, async () =>
        execute(input, executionOptions),
      );
    } catch (error) {
      const denial = budgetDenialOf(error, action);
      if (!denial || options.onDeny === 'throw') throw error;
      return (options.deniedResult ?? deniedToolMessage)(denial, name);
    }
  };
}
