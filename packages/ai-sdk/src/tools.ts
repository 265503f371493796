import { checkAdapterOptions, guardToolCall } from '@governor/core';
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
    const guarded: Execute | undefined =
      execute &&
      ((input, run) => guardToolCall(options, { name, args: input }, async () => execute(input, run)));
    out[name] = guarded ? { ...tool, execute: guarded } : tool;
  }
  return out as TOOLS;
}
