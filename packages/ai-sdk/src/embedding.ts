import type { EmbeddingModelV4, EmbeddingModelV4Middleware } from '@ai-sdk/provider';
import { checkAdapterOptions, modelCallCost, planEmbeddingCall } from '@governor/core';
import { wrapEmbeddingModel } from 'ai';
import { type GovernorEmbeddingOptions, optionSchemas } from './options.js';

/**
 * Embedding-model middleware for `wrapEmbeddingModel`: each `doEmbed` is
 * reserved as `llm.embedding` (the values' estimated tokens, priced as input),
 * committed from the reported `usage.tokens` (the estimate when there is
 * none), released when it fails. A DENY rejects with `BudgetDeniedError`.
 */
export function governorEmbeddingMiddleware(options: GovernorEmbeddingOptions): EmbeddingModelV4Middleware {
  checkAdapterOptions(options, 'governorEmbeddingMiddleware', optionSchemas.embedding);
  return {
    specificationVersion: 'v4',
    wrapEmbed: ({ doEmbed, params, model }) => {
      const input = { model, values: params.values, subject: options.subject };
      const { spec, ref } = planEmbeddingCall(options, input);
      return options.governor.run(spec, async () => {
        const result = await doEmbed();
        const tokens = result.usage?.tokens;
        return {
          value: result,
          actual: modelCallCost(
            options,
            ref,
            tokens === undefined ? undefined : { inputTokens: tokens, outputTokens: 0 },
          ),
          metrics: { ...(tokens === undefined ? {} : { tokensInput: tokens }), modelVersion: model.modelId },
        };
      });
    },
  };
}

/** `model` with `governorEmbeddingMiddleware(options)` applied. */
export function governEmbeddingModel(
  model: EmbeddingModelV4,
  options: GovernorEmbeddingOptions,
): EmbeddingModelV4 {
  return wrapEmbeddingModel({ model, middleware: governorEmbeddingMiddleware(options) });
}
