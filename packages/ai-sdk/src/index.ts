export {
  DEFAULT_MAX_OUTPUT_TOKENS,
  deniedToolMessage as deniedMessage,
  isBudgetDenied,
  type StepRequest,
} from '@governor/core';
export { type ApprovalResponses, approvalResponses } from './approvals.js';
export { governEmbeddingModel, governorEmbeddingMiddleware } from './embedding.js';
export {
  budgetExhausted,
  decideNextStep,
  type GovernPrepareStepOptions,
  governPrepareStep,
  type LoopGuardOptions,
  type StepLike,
} from './loop.js';
export { governModel, governorMiddleware } from './middleware.js';
export type {
  AppliedCaps,
  GovernModelOptions,
  GovernorEmbeddingOptions,
  GovernorModelOptions,
  GovernorModelOptionsBase,
  GovernToolsOptions,
} from './options.js';
export { governTools } from './tools.js';
