import { checkAdapterOptions, guardToolCall, type RiskPoints } from '@governor/core';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { deniedMessage, governedCall } from './model.js';
import { type GovernorLangChainOptions, optionSchemas } from './options.js';

export interface GovernToolOptions extends Omit<GovernorLangChainOptions, 'riskPoints'> {
  /** This tool's RISK_POINTS per call: a number, or a function of the arguments; default the governor's table. */
  riskPoints?: RiskPoints;
}

type ToolCallInput = { type: 'tool_call'; id?: string; args: unknown };
const isToolCall = (input: unknown): input is ToolCallInput =>
  (input as { type?: unknown } | null)?.type === 'tool_call';

/**
 * `tool` guarded by core's tool guard, for use outside agents: caps, RISK_POINTS
 * reserved, run, committed (charged once started). A denied call does not run:
 * it answers with a message (a ToolMessage for a tool call) or, with
 * `onDeny: 'throw'`, rejects. Inside governorMiddleware's guard of the same
 * call it does not guard again.
 */
export function governTool<T extends StructuredToolInterface>(tool: T, options: GovernToolOptions): T {
  const { riskPoints, ...rest } = options;
  const shared = checkAdapterOptions<GovernorLangChainOptions>(
    { ...rest, ...(riskPoints !== undefined ? { riskPoints: { [tool.name]: riskPoints } } : {}) },
    'governTool',
    optionSchemas.common,
  );
  const { name } = tool;
  const guarded = Object.create(tool) as T;
  const invoke = (input: unknown, config?: unknown) => tool.invoke(input as never, config as never);
  guarded.invoke = (async (input: unknown, config?: unknown) => {
    const inside = governedCall.getStore();
    if (inside?.kind === 'tool' && inside.name === name && !inside.claimed) return invoke(input, config);
    const call = { name, args: isToolCall(input) ? input.args : input };
    const answer = isToolCall(input) ? deniedMessage(name, input.id) : undefined;
    return governedCall.run({ kind: 'tool', name, claimed: false }, () =>
      guardToolCall(shared, call, () => invoke(input, config), answer),
    );
  }) as T['invoke'];
  return guarded;
}
