import {
  type AppliedCaps,
  budgetDenialOf,
  type Grant,
  type ModelIdentity,
  modelCallCost,
  modelRefOf,
  planCaps,
  planModelCall,
  type Subject,
  stoppedMessage,
} from '@governor/core';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
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

/** The part of createAgent's `ModelRequest` Governor reads and the caps change. */
export interface ModelCallRequest {
  model: unknown;
  tools: unknown[];
  toolChoice?: 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } } | undefined;
  messages: BaseMessage[];
  systemMessage?: BaseMessage;
}

const nameOf = (tool: unknown) => String((tool as { name?: unknown }).name ?? '');

/**
 * createAgent's `wrapModelCall`: reserve (caps-aware: a call that fits once
 * downgraded is not denied), apply the caps, call, commit the priced usage at
 * the price of the model that answered (a fallback's, not the primary's) —
 * release when the call fails. A DENY ends the agent with a final AI message,
 * or throws with `onModelDeny: 'throw'`.
 */
export async function governModelCall<R extends ModelCallRequest>(
  options: GovernorMiddlewareOptions,
  request: R,
  subject: Partial<Subject>,
  handler: (request: R) => Promise<AIMessage> | AIMessage,
): Promise<AIMessage> {
  const model = identityOf(request.model);
  const cheaper = typeof options.downgrade === 'function' ? options.downgrade(model) : options.downgrade;
  const { spec } = planModelCall(options, {
    model,
    prompt: promptOf(
      request.systemMessage?.text ? [request.systemMessage, ...request.messages] : request.messages,
      request.tools.map((t) => ({ name: nameOf(t), schema: (t as { schema?: unknown }).schema })),
    ),
    maxOutputTokens: model.maxTokens,
    subject,
    downgrade: cheaper ? identityOf(cheaper) : undefined,
  });
  try {
    return await options.governor.run(spec, async (grant) => {
      const { next, applied } = applyCaps(options, grant, request, cheaper);
      const ran = identityOf(next.model);
      try {
        options.onApplied?.(applied, { modelId: ran.modelId });
      } catch {
        // A listener's failure never changes the call.
      }
      const scope: GovernedCall = { kind: 'model', finished: [] };
      const response = await governedCall.run(scope, () => handler(next));
      const { actual, modelId } = costOf(options, response, scope, ran);
      const usage = tokenUsageOf(response.usage_metadata);
      response.response_metadata = {
        ...response.response_metadata,
        governor: { ...applied, reservationId: grant.reservationId, estimate: grant.estimate },
      };
      return {
        value: response,
        actual,
        metrics: {
          ...(usage ? { tokensInput: usage.inputTokens, tokensOutput: usage.outputTokens } : {}),
          modelVersion: modelId,
        },
      };
    });
  } catch (error) {
    const denial = budgetDenialOf(error, spec.action);
    if (!denial || (options.onModelDeny ?? 'end') === 'throw') throw error;
    return new AIMessage({
      content: stoppedMessage(denial),
      response_metadata: {
        governor: { denied: denial.reasonCode, scope: denial.scope, action: spec.action.name },
      },
    });
  }
}

/**
 * What the call cost: with the callback handler in the invocation, every model
 * run inside the call at its own model's price (a fallback after a failure, an
 * inner middleware's own call); else the response's usage at the price of the
 * model that answered (its response metadata), else of the model asked.
 */
function costOf(
  options: GovernorMiddlewareOptions,
  response: AIMessage,
  scope: GovernedCall,
  asked: ModelIdentity,
): { actual: number | 'estimate'; modelId: string } {
  const runs = scope.kind === 'model' ? scope.finished : [];
  const costs = runs.map((run) => modelCallCost(options, modelRefOf(options, run.model), run.usage));
  if (costs.length && costs.every((c) => c !== 'estimate')) {
    return {
      actual: (costs as number[]).reduce((a, b) => a + b, 0),
      modelId: runs.at(-1)?.model.modelId ?? asked.modelId,
    };
  }
  const usage = tokenUsageOf(response.usage_metadata);
  const answered = answeredBy(response);
  const actual = answered ? modelCallCost(options, modelRefOf(options, answered), usage) : 'estimate';
  if (answered && actual !== 'estimate') return { actual, modelId: answered.modelId };
  return { actual: modelCallCost(options, modelRefOf(options, asked), usage), modelId: asked.modelId };
}

/** The request as the enforced caps allow it: fewer tools, the cheaper model, a lower max tokens. */
function applyCaps<R extends ModelCallRequest>(
  options: GovernorMiddlewareOptions,
  grant: Grant,
  request: R,
  cheaper: BaseChatModel | undefined,
): { next: R; applied: AppliedCaps } {
  const asked = identityOf(request.model);
  const forced = typeof request.toolChoice === 'object' ? request.toolChoice.function?.name : undefined;
  const plan = planCaps(
    grant,
    {
      maxOutputTokens: asked.maxTokens,
      tools: request.tools.map(nameOf),
      forcedTool: forced,
      canDowngrade: cheaper !== undefined && identityOf(cheaper).modelId !== asked.modelId,
    },
    options.governor.capsInForce(grant.subject),
  );
  const { applied } = plan;
  const next = { ...request };
  const kept = plan.keptTools;
  if (kept) {
    next.tools = request.tools.filter((tool) => kept.includes(nameOf(tool)));
    if (!next.tools.length) delete next.toolChoice;
  }
  if (plan.downgrade && cheaper) {
    next.model = cheaper;
    applied.downgradedTo = identityOf(cheaper).modelId;
  }
  const max = applied.maxOutputTokens;
  const current = identityOf(next.model).maxTokens;
  if (max !== undefined && (current === undefined || current > max)) {
    const target = chatModelOf(next.model);
    const capped = target && (options.capMaxTokens ?? withMaxTokens)(target, max);
    if (capped) next.model = capped;
    else delete applied.maxOutputTokens;
  } else delete applied.maxOutputTokens;
  return { next, applied };
}
