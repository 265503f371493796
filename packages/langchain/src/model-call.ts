import type { CallSpec, Grant, Subject } from '@governor/core';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import { applyCaps, type CappableRequest } from './caps.js';
import { isDenialOf, stoppedMessage } from './denied.js';
import { identityOf, promptOf } from './model.js';
import type { GovernorMiddlewareOptions } from './options.js';
import {
  actionNameOf,
  actualOf,
  DEFAULT_MAX_OUTPUT_TOKENS,
  modelRefOf,
  pricingOf,
  tokenUsageOf,
} from './pricing.js';

export interface ModelCallRequest extends CappableRequest {
  messages: BaseMessage[];
  systemMessage?: BaseMessage;
}

/** Reserve for a model call: system message, messages and tools, plus the full output cap, priced. */
export function modelSpec(
  options: GovernorMiddlewareOptions,
  request: ModelCallRequest,
  subject: Partial<Subject>,
): CallSpec {
  const id = identityOf(request.model);
  const ref = modelRefOf(options, id);
  const messages = request.systemMessage?.text
    ? [request.systemMessage, ...request.messages]
    : request.messages;
  const maxOutputTokens = id.maxTokens ?? options.defaultMaxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
  const tools = request.tools.map((t) => ({
    name: (t as { name?: unknown }).name,
    schema: (t as { schema?: unknown }).schema,
  }));
  const amount = pricingOf(options).estimate(ref, { prompt: promptOf(messages, tools), maxOutputTokens });
  return {
    action: { kind: 'llm.completion', name: actionNameOf(ref) },
    estimate: { unit: 'USD_MICROCENTS', amount },
    subject,
  };
}

/**
 * createAgent's `wrapModelCall` for Governor: reserve, apply caps, call,
 * commit the priced `usage_metadata` (the estimate when there is none),
 * release when the call fails. A DENY ends the agent with a final AI message
 * (or throws `BudgetDeniedError` with `onModelDeny: 'throw'`).
 */
export async function governModelCall<R extends ModelCallRequest>(
  options: GovernorMiddlewareOptions,
  request: R,
  subject: Partial<Subject>,
  handler: (request: R) => Promise<AIMessage> | AIMessage,
): Promise<AIMessage> {
  const spec = modelSpec(options, request, subject);
  try {
    return await options.governor.run(spec, async (grant) => {
      const call = applyCaps(grant, request, options);
      notify(options, call.applied, identityOf(call.request.model).model);
      const response = await handler(call.request);
      const usage = tokenUsageOf(response.usage_metadata);
      const ref = modelRefOf(options, identityOf(call.request.model));
      return {
        value: withGovernorMetadata(response, grant, call.applied),
        actual: actualOf(options, ref, usage),
        metrics: {
          ...(usage ? { tokensInput: usage.inputTokens, tokensOutput: usage.outputTokens } : {}),
          ...(typeof ref === 'string' ? { modelVersion: ref } : { modelVersion: ref.modelId }),
        },
      };
    });
  } catch (error) {
    if ((options.onModelDeny ?? 'end') === 'throw' || !isDenialOf(error, spec.action)) throw error;
    return new AIMessage({
      content: stoppedMessage(error),
      response_metadata: {
        governor: { denied: error.reasonCode, scope: error.scope, action: spec.action.name },
      },
    });
  }
}

function withGovernorMetadata(response: AIMessage, grant: Grant, applied: object): AIMessage {
  const governor = {
    ...applied,
    reservationId: grant.reservationId,
    estimate: grant.estimate,
    enforced: grant.enforced,
  };
  response.response_metadata = { ...response.response_metadata, governor };
  return response;
}

function notify(
  options: GovernorMiddlewareOptions,
  applied: Parameters<NonNullable<GovernorMiddlewareOptions['onApplied']>>[0],
  model: string | undefined,
) {
  try {
    options.onApplied?.(applied, { model });
  } catch {
    // A listener's failure never changes the call.
  }
}
