import {
  budgetDenialOf,
  checkAdapterOptions,
  deniedToolMessage,
  governToolCall,
  toolGuardFor,
} from '@governor/core';
import type { ToolExecutionOptions, ToolSet } from 'ai';
import { type GovernToolsOptions, optionSchemas } from './options.js';

export type { GovernToolsOptions } from './options.js';

type Execute = (input: unknown, options: ToolExecutionOptions<unknown>) => unknown;

/**
 * `tools` with every `execute` guarded by core's tool guard: the caps in
 * force first (whatever the points), valid points, reserve the call's
 * RISK_POINTS, run, commit them — a tool that started and then threw is
 * charged too (it may have acted). A denied call does not run: it answers
 * with a result the model can read (or throws with `onDeny: 'throw'`);
 * consecutive denials count towards the run's circuit breaker.
 */
export function governTools<TOOLS extends ToolSet>(tools: TOOLS, options: GovernToolsOptions): TOOLS {
  checkAdapterOptions(options, 'governTools', optionSchemas.tools);
  const out: Record<string, unknown> = {};
  for (const [name, tool] of Object.entries(tools)) {
    const execute = tool.execute as Execute | undefined;
    out[name] = execute ? { ...tool, execute: guard(name, execute, options) } : tool;
  }
  return out as TOOLS;
}

function guard(name: string, execute: Execute, options: GovernToolsOptions): Execute {
  const { deniedResult: _own, ...shared } = options;
  const guardOptions = toolGuardFor(shared, name);
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
