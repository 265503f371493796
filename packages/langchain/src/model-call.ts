import {
  answeredCost,
  budgetDenialOf,
  type Grant,
  planCaps,
  planModelCall,
  runsCost,
  type Subject,
  stoppedMessage,
} from '@governor/core';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage } from '@langchain/core/messages';
import type { ModelRequest } from 'langchain';
import {
  answeredBy,
  chatModelOf,
  type GovernedCall,
  governedCall,
  identityOf,
  promptOf,
  tokenUsageOf,
  withMaxTokens,
} from './model.js';
import type { GovernorMiddlewareOptions } from './options.js';

const nameOf = (tool: unknown) => String((tool as { name?: unknown }).name ?? '');

/**
 * createAgent's `wrapModelCall`: reserve (caps-aware: a call that fits once
 * downgraded and capped is not denied), apply the caps, call, commit the usage
 * at the price of the model that answered (a fallback's, not the primary's);
 * release when the call fails. A DENY ends the agent with a final AI message
 * that says why (or throws, `onModelDeny: 'throw'`).
 */
export async function governModelCall<R extends ModelRequest>(
  options: GovernorMiddlewareOptions,
  request: R,
  subject: Partial<Subject>,
  handler: (request: R) => Promise<AIMessage> | AIMessage,
): Promise<AIMessage> {
  const model = identityOf(request.model);
  const cheaper = typeof options.downgrade === 'function' ? options.downgrade(model) : options.downgrade;
  const { messages, systemMessage: system, tools } = request;
  const prompt = promptOf(
    system?.text ? [system, ...messages] : messages,
    tools.map((t) => ({ name: nameOf(t), schema: (t as { schema?: unknown }).schema })),
  );
  const downgrade = cheaper ? identityOf(cheaper) : undefined;
  const { spec } = planModelCall(options, {
    model,
    prompt,
    maxOutputTokens: model.maxTokens,
    subject,
    downgrade,
  });
  try {
    return await options.governor.run(spec, async (grant) => {
      const { next, applied } = applyCaps(options, grant, request, cheaper);
      const asked = identityOf(next.model);
      const scope: GovernedCall = { kind: 'model', finished: [] };
      const response = await governedCall.run(scope, () => handler(next));
      const usage = tokenUsageOf(response.usage_metadata);
      const answer = answeredCost(options, usage, asked, answeredBy(response));
      response.response_metadata.governor = { ...applied, reservationId: grant.reservationId };
      return {
        value: response,
        // With the handler in the invocation: every model run inside (a fallback, an inner middleware's call).
        actual: (scope.kind === 'model' ? runsCost(options, scope.finished) : undefined) ?? answer.actual,
        metrics: {
          ...(usage ? { tokensInput: usage.inputTokens, tokensOutput: usage.outputTokens } : {}),
          modelVersion: answer.modelId,
        },
      };
    });
  } catch (error) {
    const denial = budgetDenialOf(error, spec.action);
    if (!denial || (options.onModelDeny ?? 'end') === 'throw') throw error;
    const governor = { denied: denial.reasonCode, scope: denial.scope, action: spec.action.name };
    return new AIMessage({ content: stoppedMessage(denial), response_metadata: { governor } });
  }
}

/** The request as the enforced caps allow it: fewer tools, the cheaper model, a lower max tokens. */
function applyCaps<R extends ModelRequest>(
  options: GovernorMiddlewareOptions,
  grant: Grant,
  request: R,
  cheaper: BaseChatModel | undefined,
) {
  const asked = identityOf(request.model);
  const call = {
    maxOutputTokens: asked.maxTokens,
    tools: request.tools.map(nameOf),
    forcedTool: typeof request.toolChoice === 'object' ? request.toolChoice.function?.name : undefined,
    canDowngrade: cheaper !== undefined && identityOf(cheaper).modelId !== asked.modelId,
  };
  const plan = planCaps(grant, call, options.governor.capsInForce(grant.subject));
  const { applied, keptTools } = plan;
  const next = { ...request };
  if (keptTools) {
    next.tools = request.tools.filter((tool) => keptTools.includes(nameOf(tool)));
    if (!next.tools.length) delete next.toolChoice;
  }
  if (plan.downgrade && cheaper) {
    next.model = cheaper;
    applied.downgradedTo = identityOf(cheaper).modelId;
  }
  const max = applied.maxOutputTokens;
  const current = identityOf(next.model).maxTokens;
  const target = chatModelOf(next.model);
  const capped = max !== undefined && (current === undefined || current > max) && target;
  const lowered = capped ? (options.capMaxTokens ?? withMaxTokens)(capped, max) : undefined;
  if (lowered) next.model = lowered;
  else delete applied.maxOutputTokens;
  try {
    options.onApplied?.(applied, { modelId: identityOf(next.model).modelId });
  } catch {
    // A listener's failure never changes the call.
  }
  return { next, applied };
}
