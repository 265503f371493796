import { randomUUID } from 'node:crypto';
import type { Subject } from '@governor/core';
import { ToolMessage } from '@langchain/core/messages';
import { createMiddleware } from 'langchain';
import { z } from 'zod';
import { deniedMessage, isDenialOf } from './denied.js';
import { governModelCall } from './model-call.js';
import type { GovernorMiddlewareOptions } from './options.js';
import { guardTool, toolSpec } from './tool-guard.js';

export interface GovernorAgentOptions extends GovernorMiddlewareOptions {
  /** A denied tool call: `message` (default) a ToolMessage the model can read; `throw` rejects. */
  onToolDeny?: 'message' | 'throw';
}

const state = z.object({
  /** The Governor `run` of the current agent invocation, set when it starts. */
  governorRunId: z.string().optional(),
});

/**
 * createAgent middleware: `wrapModelCall` reserves, applies caps (cheaper
 * model, max tokens, denied tools dropped), commits the reported usage;
 * `wrapToolCall` reserves a tool's RISK_POINTS and answers a denied call with
 * a ToolMessage instead of running it. Each invocation is one Governor `run`
 * (the graph's `runId` when given, else a fresh id) unless the subject
 * already has one.
 */
export function governorMiddleware(options: GovernorAgentOptions) {
  const subjectOf = (runId: string | undefined): Partial<Subject> => {
    const base = options.subject ?? {};
    if (base.run !== undefined || options.governor.subject.run !== undefined || !runId) return base;
    return { ...base, run: runId };
  };
  return createMiddleware({
    name: 'GovernorMiddleware',
    stateSchema: state,
    beforeAgent: (_state, runtime) => ({ governorRunId: runtime.executionInfo?.runId ?? randomUUID() }),
    wrapModelCall: (request, handler) =>
      governModelCall(options, request, subjectOf(request.state.governorRunId), handler),
    wrapToolCall: async (request, handler) => {
      const { name, args, id } = request.toolCall;
      const spec = toolSpec(options, name, args, subjectOf(request.state.governorRunId));
      if (!spec) return handler(request);
      try {
        return await guardTool(options, spec, async () => handler(request));
      } catch (error) {
        if (options.onToolDeny === 'throw' || !isDenialOf(error, spec.action)) throw error;
        return new ToolMessage({
          content: deniedMessage(error, name),
          tool_call_id: id ?? '',
          name,
          status: 'error',
        });
      }
    },
  });
}
