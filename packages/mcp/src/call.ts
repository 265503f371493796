import { assertToolAllowed, BudgetDeniedError } from '@governor/core';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { ToolCatalog } from './catalog.js';
import { deniedResult } from './denied.js';
import type { GovernClientOptions } from './options.js';
import { pointsForCall } from './points.js';

type CallTool = Client['callTool'];

/**
 * `callTool` through the governor: reserve the call's RISK_POINTS, call the
 * server, commit them; release if the call throws, times out or is aborted.
 * A denied call (budget spent, or the caps deny the tool) never reaches the
 * server. A tool the server does not list is refused without a call.
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
      return await governor.run(
        { action, estimate, ...(options.subject ? { subject: options.subject } : {}) },
        async (grant) => {
          assertToolAllowed(grant, name);
          // A result with `isError: true` is a call that ran: its points are spent.
          return { value: await call(params, resultSchema, requestOptions), actual: points };
        },
      );
    } catch (error) {
      const ours =
        error instanceof BudgetDeniedError && error.action.kind === kind && error.action.name === name;
      if (!ours || options.onDeny === 'throw') throw error;
      return (options.deniedResult ?? deniedResult)(error, name);
    }
  };
}
