export { allowedTools, currentCaps } from './caps.js';
export { governClient } from './client.js';
export { deniedMessage, deniedResult } from './denied.js';
export {
  type AnnotationPoints,
  DEFAULT_ANNOTATION_POINTS,
  type GovernClientOptions,
  type ToolInfo,
  type ToolPoints,
} from './options.js';
export { annotationPointsFor, pointsForCall } from './points.js';
export { type ProxyConfig, parseProxyArgs } from './proxy/args.js';
export { toMcpError } from './proxy/errors.js';
export {
  type HttpSession,
  type StreamableHttpOptions,
  type StreamableHttpServer,
  serveStreamableHttp,
} from './proxy/http.js';
export { main as runProxy } from './proxy/main.js';
export { createGovernorProxy, type GovernorProxyOptions } from './proxy/server.js';
export { type ProxySessionsOptions, proxySessions } from './proxy/sessions.js';
export { connectUpstream, type UpstreamSpec } from './proxy/upstream.js';
