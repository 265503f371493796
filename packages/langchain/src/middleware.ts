import { createHash, randomUUID } from 'node:crypto';
import {
  checkAdapterOptions,
  circuitOpenMessage,
  deniedToolResult,
  toolGuardFor,
  extendSubject,
  governToolCall,
  InvalidRequestError,
  NAME_PATTERN,
  type Subject,
} from '@governor/core';
import type { CallbackManager } from '@langchain/core/callbacks/manager';
import { AIMessage, ToolMessage } from '@langchain/core/messages';
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';
import { createMiddleware } from 'langchain';
import { z } from 'zod';
import { GovernorCallbackHandler } from './handler.js';
import { governedCall } from './model.js';
import { governModelCall } from './model-call.js';
import { type GovernorMiddlewareOptions, optionFields } from './options.js';

const state = z.object({
  /** The Governor `run` of the current agent invocation (or thread), set when it starts. */
  governorRunId: z.string().optional(),
});

/**
 * createAgent middleware: every model call reserved, capped (fewer tools,
 * cheaper model, lower max tokens), committed at the price of the model that
 * answered; every tool call guarded by core's `governToolCall` (caps first,
 * risk points, charged once started), a denial answered with a ToolMessage;
 * after `circuitBreaker` consecutive denials the agent ends with a final
 * message. With `GovernorCallbackHandler` in the invocation's callbacks, model
 * calls made outside `wrapModelCall` (summarization, other middleware) are
 * charged to the same run, and no call is charged twice.
 */
export function governorMiddleware(options: GovernorMiddlewareOptions) {
  checkAdapterOptions(options, 'governorMiddleware', optionFields.middleware);
  const { governor } = options;
  const subjectOf = (runId: string | undefined): Partial<Subject> => {
    const base = options.subject ?? {};
    if (base.run !== undefined || governor.subject.run !== undefined || !runId) return base;
    return { ...base, run: runId };
  };
  return createMiddleware({
    name: 'GovernorMiddleware',
    stateSchema: state,
    beforeAgent: (_state, runtime) => {
      const runId = runIdOf(options, runtime.configurable);
      const callbacks = AsyncLocalStorageProviderSingleton.getRunnableConfig()?.callbacks as
        | CallbackManager
        | undefined;
      const at = callbacks?.getParentRunId?.();
      for (const handler of callbacks?.handlers ?? []) {
        if (handler instanceof GovernorCallbackHandler && at) handler.adoptRun(at, runId);
      }
      governor.breaker?.reset(extendSubject(governor.subject, subjectOf(runId)));
      return { governorRunId: runId };
    },
    beforeModel: {
      canJumpTo: ['end'],
      hook: (agentState) => {
        const denials = governor.breaker?.openFor(
          extendSubject(governor.subject, subjectOf(agentState.governorRunId)),
        );
        if (denials === undefined) return undefined;
        return { jumpTo: 'end', messages: [new AIMessage(circuitOpenMessage(denials))] };
      },
    },
    wrapModelCall: (request, handler) =>
      governModelCall(options, request, subjectOf(request.state.governorRunId), handler),
    wrapToolCall: async (request, handler) => {
      const { name, args, id } = request.toolCall;
      const call = { name, args };
      const guard = toolGuardFor(options, name, subjectOf(request.state.governorRunId));
      try {
        return await governedCall.run({ kind: 'tool', name, claimed: false }, () =>
          governToolCall(guard, call, () => handler(request)),
        );
      } catch (error) {
        const content = deniedToolResult(options, error, name);
        if (content === undefined) throw error;
        return new ToolMessage({ content, tool_call_id: id ?? '', name, status: 'error' });
      }
    },
  });
}

/** This invocation's run: a fresh id, or with `runPer: 'thread'` the conversation's `thread_id`. */
function runIdOf(
  options: GovernorMiddlewareOptions,
  configurable: Record<string, unknown> | undefined,
): string {
  if ((options.runPer ?? 'invoke') === 'invoke') return randomUUID();
  const thread = configurable?.thread_id;
  if (typeof thread !== 'string' && typeof thread !== 'number') {
    throw new InvalidRequestError([
      {
        path: 'configurable.thread_id',
        message: "is required with runPer: 'thread' (pass it to agent.invoke)",
      },
    ]);
  }
  const id = String(thread);
  // A run level must be a scope name: other thread ids are hashed to one.
  return NAME_PATTERN.test(id) && id.length <= 128
    ? id
    : `thread-${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;
}
