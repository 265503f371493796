export { allowedTools, currentCaps } from './caps.js';
export { governClient, governedListTools } from './client.js';
export { deniedMessage, deniedResult } from './denied.js';
export {
  type AnnotationPoints,
  DEFAULT_ANNOTATION_POINTS,
  type GovernClientOptions,
  type ToolInfo,
  type ToolPoints,
} from './options.js';
export { annotationPointsFor } from './points.js';
export {
  type HttpConfig,
  type ProxyConfig,
  parseProxyArgs,
  type RunChoice,
  UsageError,
} from './proxy/args.js';
export { type AuditLine, auditLog } from './proxy/audit.js';
export { serveOnInitialize } from './proxy/defer.js';
export { toMcpError } from './proxy/errors.js';
export {
  type HttpSession,
  type StreamableHttpOptions,
  type StreamableHttpServer,
  serveStreamableHttp,
} from './proxy/http.js';
export { applyBudgets, type Ledger, openLedger } from './proxy/ledger.js';
export { type OnUpstreamExit, UpstreamLink, type UpstreamLinkOptions } from './proxy/link.js';
export { main as runProxy, type ProxyIo } from './proxy/main.js';
export { relayedCapabilities, relayToHost, relayToUpstream } from './proxy/relay.js';
export { createGovernorProxy, type GovernorProxyOptions, type ProxyApprovals } from './proxy/server.js';
export {
  openProxySession,
  type ProxySession,
  type ProxySessionsOptions,
  proxySessions,
  runFor,
  type SessionContext,
  type SessionOptions,
} from './proxy/sessions.js';
export { connectUpstream, type UpstreamSpec, upstreamEnv } from './proxy/upstream.js';
export { usage, VERSION } from './proxy/usage.js';
export { mayHaveRun, NotSentError } from './sent.js';
