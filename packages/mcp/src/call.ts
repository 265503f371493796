import { assertToolAllowed, BudgetDeniedError } from '@governor/core';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { ToolCatalog } from './catalog.js';
import { deniedResult } from './denied.js';
import type { GovernClientOptions } from './options.js';
import { pointsForCall } from './points.js';
import { mayHaveRun } from './sent.js';

type CallTool = Client['callTool'];
/** What the server did with a sent call: answered, or failed in a way that may have run it. */
type Outcome = { result: Awaited<ReturnType<CallTool>> } | { error: unknown };

/**
 * `callTool` through the governor: reserve the call's RISK_POINTS, call the
 * server, commit them. Once sent, a call is charged even if it then fails,
 * times out or is cancelled (the server may have done the work); it is
 * released only if it never left the client or the server answered that it
 * did not run it (see `mayHaveRun`). A denied call (budget spent, or the caps
 * deny the tool) never reaches the server. A tool the server does not list is
 * refused without a call.
 */
export function governedCallTool(
  call: CallTool,
  catalog: ToolCatalog,
  options: GovernClientOptions,
): CallTool {
  const { governor } = options;
  const kind = options.kind ?? 'tool.call';
  return async (params, resultSchema, requestOptions) => {
    const { name } = params;
    const tool = await catalog.lookup(name, requestOptions);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Tool ${name} not found`);
    const points = pointsForCall(name, params.arguments, tool.annotations, options);
    if (!points) return call(params, resultSchema, requestOptions);
    const action = { kind, name };
    const estimate = { unit: 'RISK_POINTS' as const, amount: points };
    try {
      const outcome = await governor.run<Outcome>(
        { action, estimate, ...(options.subject ? { subject: options.subject } : {}) },
        async (grant) => {
          assertToolAllowed(grant, name);
          requestOptions?.signal?.throwIfAborted(); // not sent: released
          try {
            // A result with `isError: true` is a call that ran: its points are spent.
            return { value: { result: await call(params, resultSchema, requestOptions) }, actual: points };
          } catch (error) {
            if (!mayHaveRun(error)) throw error;
            return { value: { error }, actual: points };
          }
        },
      );
      if ('error' in outcome) throw outcome.error;
      return outcome.result;
    } catch (error) {
      const ours =
        error instanceof BudgetDeniedError && error.action.kind === kind && error.action.name === name;
      if (!ours || options.onDeny === 'throw') throw error;
      return (options.deniedResult ?? deniedResult)(error, name);
    }
  };
}
