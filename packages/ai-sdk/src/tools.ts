import { assertToolAllowed, BudgetDeniedError, type Governor, type Subject } from '@governor/core';
import type { ToolExecutionOptions, ToolSet } from 'ai';
import { deniedMessage } from './denied.js';

export interface GovernToolsOptions {
  governor: Governor;
  /**
   * Risk points per call of a tool, by tool name: a number, or a function of
   * the call's input (e.g. a refund's amount class). Tools not named here use
   * the governor's risk-point table (`riskPoints` of `createGovernor`). A tool
   * with no points (or 0) runs unguarded.
   */
  riskPoints?: Record<string, number | ((input: unknown) => number | undefined)>;
  /** `result` (default): a denied call returns a result the model can read; `throw`: it throws `BudgetDeniedError`. */
  onDeny?: 'result' | 'throw';
  /** The result a denied call returns; default a sentence such as "not executed: …". */
  deniedResult?: (denial: BudgetDeniedError, toolName: string) => unknown;
  /** Action kind of a tool call; default `tool.call`. */
  kind?: string;
  /** Levels added to the current subject for every tool call (e.g. `{ toolset: 'email' }`). */
  subject?: Partial<Subject>;
}

type Execute = (input: unknown, options: ToolExecutionOptions<unknown>) => unknown;

/**
 * `tools` with every `execute` guarded: reserve the call's RISK_POINTS, run,
 * commit them; release if the tool throws. A denied call (the budget is
 * spent, or the caps deny the tool) does not run.
 */
export function governTools<TOOLS extends ToolSet>(tools: TOOLS, options: GovernToolsOptions): TOOLS {
  const out: Record<string, unknown> = {};
  for (const [name, tool] of Object.entries(tools)) {
    const execute = tool.execute as Execute | undefined;
    out[name] = execute ? { ...tool, execute: guard(name, execute, options) } : tool;
  }
  return out as TOOLS;
}

function pointsOf(name: string, input: unknown, options: GovernToolsOptions): number | undefined {
  const rule = options.riskPoints?.[name];
  if (typeof rule === 'function') return rule(input);
  return rule ?? options.governor.riskPointsFor({ kind: options.kind ?? 'tool.call', name });
}

function guard(name: string, execute: Execute, options: GovernToolsOptions): Execute {
  const { governor } = options;
  const action = { kind: options.kind ?? 'tool.call', name };
  return async (input, executionOptions) => {
    const points = pointsOf(name, input, options);
    if (!points) return execute(input, executionOptions);
    const estimate = { unit: 'RISK_POINTS' as const, amount: points };
    try {
      return await governor.run(
        { action, estimate, ...(options.subject ? { subject: options.subject } : {}) },
        async (grant) => {
          assertToolAllowed(grant, name);
          return { value: await execute(input, executionOptions), actual: points };
        },
      );
    } catch (error) {
      const ours =
        error instanceof BudgetDeniedError &&
        error.action.kind === action.kind &&
        error.action.name === action.name;
      if (!ours || options.onDeny === 'throw') throw error;
      return (options.deniedResult ?? deniedMessage)(error, name);
    }
  };
}
