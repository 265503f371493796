import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Middleware,
} from '@ai-sdk/provider';
import {
  assertPriceable,
  budgetNote,
  checkAdapterOptions,
  circuitOpenFor,
  extendSubject,
  mapDowngrade,
  modelCallCost,
  modelRefOf,
  streamModelCall,
  usageMetrics,
} from '@governor/core';
import { wrapLanguageModel } from 'ai';
import { identityOf, planLlmCall, tokenUsageOf, withGovernorMetadata } from './call.js';
import { applyCaps } from './caps.js';
import { stoppedResult, stoppedStream } from './circuit.js';
import { type GovernModelOptions, type GovernorModelOptions, optionSchemas } from './options.js';
import { streamHooks } from './stream.js';

/**
 * Language-model middleware for `wrapLanguageModel`: every call is reserved
 * (`llm.completion`, prompt + output cap, priced; at the capped price when
 * only the capped call fits), capped, run through the rest of the chain, and
 * committed from the reported usage — or released when it fails before
 * running. A DENY rejects with `BudgetDeniedError` before the provider is
 * called; an open circuit breaker answers with a final message instead.
 * Streams commit what was delivered when they are aborted, fail part-way or
 * are abandoned by their consumer.
 */
export function governorMiddleware(options: GovernorModelOptions): LanguageModelV4Middleware {
  checkAdapterOptions(options, 'governorMiddleware', optionSchemas.model);
  if (options.downgrade && typeof options.downgrade !== 'function') {
    assertPriceable(options, identityOf(options.downgrade));
  }
  const { governor } = options;
  return {
    specificationVersion: 'v4',

    // The budget note goes in before the call is priced, so its tokens are charged too.
    ...(options.budgetNote
      ? {
          transformParams: async ({ params }: { params: LanguageModelV4CallOptions }) => {
            const subject = extendSubject(governor.subject, options.subject ?? {});
            const note = await budgetNote(governor, options.budgetNote, subject);
            return note ? withSystemNote(params, note) : params;
          },
        }
      : {}),

    wrapGenerate: async ({ doGenerate, params, model }) => {
      const open = circuitOpenFor(governor, options.subject);
      if (open) return stoppedResult(open);
      const plan = planLlmCall(options, params, model);
      return governor.run(plan.spec, async (grant) => {
        const call = applyCaps(grant, params, model, options);
        const result = call.same ? await doGenerate() : await call.model.doGenerate(call.params);
        const modelId = result.response?.modelId ?? (call.model === model ? undefined : call.model.modelId);
        const usage = tokenUsageOf(result.usage);
        return {
          value: {
            ...result,
            ...(modelId ? { response: { ...result.response, modelId } } : {}),
            providerMetadata: withGovernorMetadata(result.providerMetadata, grant, call, plan),
          },
          actual: modelCallCost(options, modelRefOf(options, identityOf(call.model)), usage),
          metrics: usageMetrics(usage, call.model.modelId),
        };
      });
    },

    wrapStream: async ({ doStream, params, model }) => {
      const open = circuitOpenFor(governor, options.subject);
      if (open) return stoppedStream(open);
      const plan = planLlmCall(options, params, model);
      return streamModelCall(options, plan, async (grant) => {
        const call = applyCaps(grant, params, model, options);
        const result = call.same ? await doStream() : await call.model.doStream(call.params);
        const downgraded = call.model === model ? undefined : call.model.modelId;
        const hooks = streamHooks(downgraded, (metadata) =>
          withGovernorMetadata(metadata, grant, call, plan),
        );
        return { result, model: identityOf(call.model), hooks };
      });
    },
  };
}

/** `params` with `note` as a system message after the prompt's own system messages. */
function withSystemNote(params: LanguageModelV4CallOptions, note: string): LanguageModelV4CallOptions {
  const at = params.prompt.findIndex((m) => m.role !== 'system');
  const prompt = [...params.prompt];
  prompt.splice(at === -1 ? prompt.length : at, 0, { role: 'system', content: note });
  return { ...params, prompt };
}

/**
 * `model` with `governorMiddleware(options)` applied. `options.middleware`
 * runs inside the Governor for whichever model the call goes to, so a
 * downgraded call keeps every setting the rest of the chain adds.
 */
export function governModel(model: LanguageModelV4, options: GovernModelOptions): LanguageModelV4 {
  checkAdapterOptions(options, 'governModel', optionSchemas.governModel);
  const { middleware, ...rest } = options;
  if (!middleware || (Array.isArray(middleware) && middleware.length === 0)) {
    return wrapLanguageModel({ model, middleware: governorMiddleware(rest) });
  }
  const inner = (m: LanguageModelV4) => wrapLanguageModel({ model: m, middleware });
  const cheaper = mapDowngrade(rest.downgrade, inner);
  return wrapLanguageModel({
    model: inner(model),
    middleware: governorMiddleware({ ...rest, ...(cheaper ? { downgrade: cheaper } : {}) }),
  });
}
