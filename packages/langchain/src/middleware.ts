import {
  budgetNote,
  checkAdapterOptions,
  circuitOpenMessage,
  extendSubject,
  guardToolCall,
  runIdFor,
  withRunLevel,
} from '@governor/core';
import type { CallbackManager } from '@langchain/core/callbacks/manager';
import { AIMessage } from '@langchain/core/messages';
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';
import { isGraphInterrupt } from '@langchain/langgraph';
import { createMiddleware } from 'langchain';
import { z } from 'zod';
import { approvalsFor } from './approval.js';
import { GovernorCallbackHandler } from './handler.js';
import { deniedMessage, governedCall } from './model.js';
import { governModelCall } from './model-call.js';
import { type GovernorMiddlewareOptions, optionSchemas } from './options.js';

/** The Governor `run` of the agent invocation (or conversation), set when it starts. */
const state = z.object({ governorRunId: z.string().optional() });
/** Where a conversation's id comes from, with `runPer: 'thread'`. */
const THREAD_ID = { path: 'configurable.thread_id', hint: 'pass it to agent.invoke' };

/**
 * createAgent middleware: model calls reserved, capped and committed at the
 * price of the model that answered; tool calls through core's tool guard
 * (caps first, risk points, charged once started), a denial answered with a
 * ToolMessage; when the circuit breaker opens (consecutive denials) the agent
 * ends with a final message. A call the governor's approvals policy pauses
 * interrupts the graph (`approvals`, see `approvalsFor`). With `GovernorCallbackHandler` in the
 * invocation's callbacks, model calls made outside `wrapModelCall`
 * (summarization, other middleware) are charged to the same run, none twice.
 */
export function governorMiddleware(options: GovernorMiddlewareOptions) {
  checkAdapterOptions(options, 'governorMiddleware', optionSchemas.middleware);
  const { governor } = options;
  const subjectOf = (run: string | undefined) => withRunLevel(options, run);
  const loopOf = (run: string | undefined) => extendSubject(governor.subject, subjectOf(run));
  return createMiddleware({
    name: 'GovernorMiddleware',
    stateSchema: state,
    beforeAgent: (_state, runtime) => {
      const run = runIdFor(options.runPer, runtime.configurable?.thread_id, THREAD_ID);
      // The handler in this invocation charges what it sees outside wrapModelCall to the same run.
      const callbacks = AsyncLocalStorageProviderSingleton.getRunnableConfig()?.callbacks as CallbackManager;
      const at = callbacks?.getParentRunId?.();
      for (const handler of callbacks?.handlers ?? []) {
        if (handler instanceof GovernorCallbackHandler && at) handler.adoptRun(at, run);
      }
      governor.breaker?.reset(loopOf(run)); // a new turn is a new attempt
      return { governorRunId: run };
    },
    // An open circuit ends the loop here: a final message, no model call (and no extra graph step).
    wrapModelCall: async (request, handler) => {
      const run = request.state.governorRunId;
      const loop = loopOf(run);
      const denials = governor.breaker?.openFor(loop);
      if (denials === undefined) {
        // The budget note goes in before the call is priced, so its tokens are charged too.
        const note = options.budgetNote ? await budgetNote(governor, options.budgetNote, loop) : undefined;
        const noted = note
          ? { ...request, systemMessage: request.systemMessage.concat(`\n\n${note}`) }
          : request;
        return governModelCall(options, noted, subjectOf(run), handler);
      }
      const metadata = { governor: { circuitOpen: denials } };
      return new AIMessage({ content: circuitOpenMessage(denials), response_metadata: metadata });
    },
    wrapToolCall: async (request, handler) => {
      const { name, args, id } = request.toolCall;
      const subject = subjectOf(request.state.governorRunId);
      // A tool's own interrupt() did not finish it: it runs again on resume, charged then.
      const chargeFailure = (error: unknown) => !isGraphInterrupt(error);
      const approvals = approvalsFor(governor, options.approvals, request.toolCall);
      const call = { name, args, subject, chargeFailure, ...approvals };
      return governedCall.run({ kind: 'tool', name, claimed: false }, () =>
        guardToolCall(options, call, () => handler(request), deniedMessage(name, id)),
      );
    },
  });
}
