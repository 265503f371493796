import type { LanguageModelV4, LanguageModelV4Middleware } from '@ai-sdk/provider';
import { wrapLanguageModel } from 'ai';
import { llmSpec, metricsOf, planCall, withGovernorMetadata } from './call.js';
import type { GovernorModelOptions } from './options.js';
import { actualOf } from './pricing.js';
import { governStream } from './stream.js';

/**
 * Language-model middleware for `wrapLanguageModel`: every call is reserved
 * (`llm.completion`, prompt + output cap, priced), capped, run, and committed
 * from the reported usage — or released when it fails. A DENY rejects with
 * `BudgetDeniedError` before the provider is called.
 */
export function governorMiddleware(options: GovernorModelOptions): LanguageModelV4Middleware {
  const { governor } = options;
  return {
    specificationVersion: 'v4',

    wrapGenerate: ({ doGenerate, params, model }) =>
      governor.run(llmSpec(options, params, model), async (grant) => {
        const call = planCall(options, grant, params, model);
        const result = call.changed ? await call.model.doGenerate(call.params) : await doGenerate();
        return {
          value: { ...result, providerMetadata: withGovernorMetadata(result.providerMetadata, grant, call) },
          actual: actualOf(options, call.model, result.usage),
          metrics: metricsOf(result.usage, call.model.modelId),
        };
      }),

    wrapStream: async ({ doStream, params, model }) => {
      const handle = await governor.begin(llmSpec(options, params, model));
      let result: Awaited<ReturnType<typeof doStream>>;
      let call: ReturnType<typeof planCall>;
      try {
        call = planCall(options, handle.grant, params, model);
        result = call.changed ? await call.model.doStream(call.params) : await doStream();
      } catch (error) {
        await handle.release(
          `stream did not start: ${error instanceof Error ? error.message : String(error)}`,
        );
        throw error;
      }
      const target = call.model;
      const stream = governStream(
        result.stream,
        {
          handle,
          actualOf: (usage) => actualOf(options, target, usage),
          metricsOf: (usage) => metricsOf(usage, target.modelId),
          metadataOf: (metadata) => withGovernorMetadata(metadata, handle.grant, call),
        },
        params.abortSignal,
      );
      return { ...result, stream };
    },
  };
}

/** `model` with `governorMiddleware(options)` applied. */
export function governModel(model: LanguageModelV4, options: GovernorModelOptions): LanguageModelV4 {
  return wrapLanguageModel({ model, middleware: governorMiddleware(options) });
}
