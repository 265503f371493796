export { DEFAULT_MAX_OUTPUT_TOKENS } from './call.js';
export { type LoopGuardOptions, type StepLike } from './decide.js';
export { deniedMessage } from './denied.js';
export { governEmbeddingModel, governorEmbeddingMiddleware } from './embedding.js';
export { budgetExhausted, type GovernPrepareStepOptions, governPrepareStep } from './loop.js';
export { governModel, governorMiddleware } from './middleware.js';
export type {
  AppliedCaps,
  GovernorEmbeddingOptions,
  GovernorModelOptions,
  GovernorModelOptionsBase,
} from './options.js';
export { type GovernToolsOptions, governTools } from './tools.js';
