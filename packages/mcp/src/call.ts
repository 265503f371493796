import { type ApprovalWait, guardToolCall } from '@governor/core';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { ToolCatalog } from './catalog.js';
import { deniedResult } from './denied.js';
import type { GovernClientOptions } from './options.js';
import { annotationPointsFor } from './points.js';
import { mayHaveRun } from './sent.js';

type CallTool = Client['callTool'];

/**
 * `callTool` through core's tool guard: the caps in force first (whatever the
 * points, `cooldown_ms` and `max_steps_remaining` included), valid points
 * (the options' entry, the governor's table, else the tool's annotations),
 * reserve the call's RISK_POINTS, call the server, commit them. Once sent, a
 * call is charged even if it then fails, times out or is cancelled (the
 * server may have done the work); it is released only if it never left the
 * client or the server answered that it did not run it (see `mayHaveRun`). A
 * denied call never reaches the server. A tool the server does not list is
 * refused without a call. A call paused for approval answers that it waits
 * (how an operator approves it); the same call made again once approved runs once.
 */
export function governedCallTool(
  call: CallTool,
  catalog: ToolCatalog,
  options: GovernClientOptions,
  /** How a call paused for approval waits for a decision (the proxy: the host's elicitation); none: it answers that it waits. */
  waitForApproval?: (call: { name: string; args: unknown }) => ApprovalWait | undefined,
): CallTool {
  const guard = { ...options, deniedResult: options.deniedResult ?? deniedResult };
  return async (params, resultSchema, requestOptions) => {
    const { name } = params;
    const tool = await catalog.lookup(name, requestOptions);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Tool ${name} not found`);
    let sent = false;
    const toolCall = {
      name,
      args: params.arguments,
      fallbackPoints: () => annotationPointsFor(tool.annotations, options.annotationPoints),
      chargeFailure: (error: unknown) => sent && mayHaveRun(error),
      waitForApproval: waitForApproval?.({ name, args: params.arguments }),
    };
    return guardToolCall(guard, toolCall, () => {
      requestOptions?.signal?.throwIfAborted(); // not sent: released
      sent = true;
      // A result with `isError: true` is a call that ran: its points are spent.
      return call(params, resultSchema, requestOptions);
    });
  };
}
