export { applyCaps, withMaxTokens } from './caps.js';
export { deniedMessage, stoppedMessage } from './denied.js';
export { type GovernToolOptions, governTool } from './govern-tool.js';
export { GovernorCallbackHandler } from './handler.js';
export { type GovernorAgentOptions, governorMiddleware } from './middleware.js';
export type {
  AppliedCaps,
  GovernorLangChainOptions,
  GovernorMiddlewareOptions,
  ModelIdentity,
} from './options.js';
export { DEFAULT_MAX_OUTPUT_TOKENS } from './pricing.js';
