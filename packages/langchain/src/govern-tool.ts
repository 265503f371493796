import type { BudgetDeniedError } from '@governor/core';
import { ToolMessage } from '@langchain/core/messages';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { deniedMessage, isDenialOf } from './denied.js';
import type { GovernorLangChainOptions } from './options.js';
import { guardTool, toolSpec } from './tool-guard.js';

export interface GovernToolOptions extends Omit<GovernorLangChainOptions, 'riskPoints'> {
  /** Risk points per call: a number, or a function of the call's arguments; default the governor's table. */
  riskPoints?: number | ((args: unknown) => number | undefined);
  /** `result` (default): a denied call answers with a message the model can read; `throw`: `BudgetDeniedError`. */
  onDeny?: 'result' | 'throw';
  /** The content a denied call answers with; default "not executed: …". */
  deniedResult?: (denial: BudgetDeniedError, toolName: string) => string;
}

interface ToolCallLike {
  type: 'tool_call';
  id?: string;
  args: unknown;
}
const isToolCall = (input: unknown): input is ToolCallLike =>
  typeof input === 'object' && input !== null && (input as { type?: unknown }).type === 'tool_call';

/**
 * `tool` guarded by Governor, for use outside agents (or inside without the
 * middleware): each `invoke` reserves the call's RISK_POINTS, runs, commits
 * them, releases if it throws. A denied call does not run: it answers with a
 * message (a ToolMessage when invoked with a tool call) or throws.
 */
export function governTool<T extends StructuredToolInterface>(tool: T, options: GovernToolOptions): T {
  const { riskPoints, ...rest } = options;
  const shared: GovernorLangChainOptions = {
    ...rest,
    ...(riskPoints !== undefined ? { riskPoints: { [tool.name]: riskPoints } } : {}),
  };
  const guarded = Object.create(tool) as T;
  const invoke = (input: unknown, config?: unknown) => tool.invoke(input as never, config as never);
  guarded.invoke = (async (input: unknown, config?: unknown) => {
    const args = isToolCall(input) ? input.args : input;
    const spec = toolSpec(shared, tool.name, args);
    if (!spec) return invoke(input, config);
    try {
      return await guardTool(shared, spec, () => invoke(input, config));
    } catch (error) {
      if (options.onDeny === 'throw' || !isDenialOf(error, spec.action)) throw error;
      const content = (options.deniedResult ?? deniedMessage)(error, tool.name);
      if (!isToolCall(input)) return content;
      return new ToolMessage({ content, tool_call_id: input.id ?? '', name: tool.name, status: 'error' });
    }
  }) as T['invoke'];
  return guarded;
}
