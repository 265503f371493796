import {
  answeredCost,
  budgetDenialOf,
  capModelCall,
  downgradeFor,
  type Grant,
  planModelCall,
  runsCost,
  type Subject,
  stoppedMessage,
  usageMetrics,
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
  const cheaper = downgradeFor(options, model);
  const { messages, systemMessage: system, tools } = request;
  const prompt = promptOf(
    system?.text ? [system, ...messages] : messages,
    tools.map((t) => ({ name: nameOf(t), schema: (t as { schema?: unknown }).schema })),
  );
  const downgrade = cheaper ? identityOf(cheaper) : undefined;
  const input = { model, prompt, maxOutputTokens: model.maxTokens, subject, downgrade };
  const { spec } = planModelCall(options, input);
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
        metrics: usageMetrics(usage, answer.modelId),
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
  const { applied, model, tools } = capModelCall<R['model'], R['tools'][number]>(options, grant, {
    model: request.model,
    cheaper,
    modelIdOf: (m) => identityOf(m).modelId,
    maxOutputTokens: identityOf(request.model).maxTokens,
    tools: request.tools,
    toolName: nameOf,
    forcedTool: typeof request.toolChoice === 'object' ? request.toolChoice.function?.name : undefined,
    lowerOutput: (m, max) => {
      const current = identityOf(m).maxTokens;
      const target = chatModelOf(m);
      if (!target || (current !== undefined && current <= max)) return undefined;
      return (options.capMaxTokens ?? withMaxTokens)(target, max);
    },
  });
  const next = { ...request, model };
  if (tools) next.tools = tools;
  if (tools?.length === 0) delete next.toolChoice;
  return { next, applied };
}
