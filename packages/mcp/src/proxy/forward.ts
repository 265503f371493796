import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CancelTaskRequestSchema,
  CancelTaskResultSchema,
  CompleteRequestSchema,
  CompleteResultSchema,
  EmptyResultSchema,
  GetPromptRequestSchema,
  GetPromptResultSchema,
  GetTaskPayloadRequestSchema,
  GetTaskRequestSchema,
  GetTaskResultSchema,
  ListPromptsRequestSchema,
  ListPromptsResultSchema,
  ListResourcesRequestSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesRequestSchema,
  ListResourceTemplatesResultSchema,
  ListTasksRequestSchema,
  ListTasksResultSchema,
  PingRequestSchema,
  ReadResourceRequestSchema,
  ReadResourceResultSchema,
  ResultSchema,
  type ServerCapabilities,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { mcpErrors } from './errors.js';

type Caps = ServerCapabilities;
/** Requests passed to the upstream as they are, when its capabilities allow them. */
const FORWARDED = [
  [(c: Caps) => c.resources, ListResourcesRequestSchema, ListResourcesResultSchema],
  [(c: Caps) => c.resources, ListResourceTemplatesRequestSchema, ListResourceTemplatesResultSchema],
  [(c: Caps) => c.resources, ReadResourceRequestSchema, ReadResourceResultSchema],
  [(c: Caps) => c.resources?.subscribe, SubscribeRequestSchema, EmptyResultSchema],
  [(c: Caps) => c.resources?.subscribe, UnsubscribeRequestSchema, EmptyResultSchema],
  [(c: Caps) => c.prompts, ListPromptsRequestSchema, ListPromptsResultSchema],
  [(c: Caps) => c.prompts, GetPromptRequestSchema, GetPromptResultSchema],
  [(c: Caps) => c.completions, CompleteRequestSchema, CompleteResultSchema],
  [(c: Caps) => c.logging, SetLevelRequestSchema, EmptyResultSchema],
  [(c: Caps) => c.tasks, GetTaskRequestSchema, GetTaskResultSchema],
  [(c: Caps) => c.tasks, GetTaskPayloadRequestSchema, ResultSchema],
  [(c: Caps) => c.tasks?.list, ListTasksRequestSchema, ListTasksResultSchema],
  [(c: Caps) => c.tasks?.cancel, CancelTaskRequestSchema, CancelTaskResultSchema],
  // A ping is answered by the upstream: no "connected" over a dead upstream.
  [() => true, PingRequestSchema, EmptyResultSchema],
] as const;

/**
 * Re-expose the upstream's resources, prompts, completions, logging and tasks
 * (and its answer to ping): each request goes to the upstream connected now,
 * with the host's cancellation and the proxy's timeout.
 */
export function forwardToUpstream(
  server: Server,
  upstream: () => Client,
  caps: ServerCapabilities,
  timeoutMs: number,
): void {
  for (const [allowed, request, result] of FORWARDED) {
    if (!allowed(caps)) continue;
    server.setRequestHandler(request, (req, extra) =>
      mcpErrors(() => upstream().request(req, result, { signal: extra.signal, timeout: timeoutMs })),
    );
  }
}
