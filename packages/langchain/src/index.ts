export {
  type AppliedCaps,
  ApprovalRequiredError,
  budgetDenialOf,
  circuitOpenMessage,
  deniedToolMessage,
  isBudgetDenied,
  type ModelIdentity,
  type RiskPoints,
  stoppedMessage,
} from '@governor/core';
export type { ApprovalsMode, GovernorApprovalInterrupt } from './approval.js';
export { type GovernToolOptions, governTool } from './govern-tool.js';
export { GovernorCallbackHandler, type GovernorHandlerOptions } from './handler.js';
export { governorMiddleware } from './middleware.js';
export { withMaxTokens } from './model.js';
export type { GovernorLangChainOptions, GovernorMiddlewareOptions } from './options.js';
