import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CompleteRequestSchema,
  CompleteResultSchema,
  EmptyResultSchema,
  GetPromptRequestSchema,
  GetPromptResultSchema,
  ListPromptsRequestSchema,
  ListPromptsResultSchema,
  ListResourcesRequestSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesRequestSchema,
  ListResourceTemplatesResultSchema,
  ReadResourceRequestSchema,
  ReadResourceResultSchema,
  type ServerCapabilities,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { mcpErrors } from './errors.js';

/** Requests passed to the upstream as they are, by the capability they need. */
const FORWARDED = [
  ['resources', ListResourcesRequestSchema, ListResourcesResultSchema],
  ['resources', ListResourceTemplatesRequestSchema, ListResourceTemplatesResultSchema],
  ['resources', ReadResourceRequestSchema, ReadResourceResultSchema],
  ['resources', SubscribeRequestSchema, EmptyResultSchema],
  ['resources', UnsubscribeRequestSchema, EmptyResultSchema],
  ['prompts', ListPromptsRequestSchema, ListPromptsResultSchema],
  ['prompts', GetPromptRequestSchema, GetPromptResultSchema],
  ['completions', CompleteRequestSchema, CompleteResultSchema],
  ['logging', SetLevelRequestSchema, EmptyResultSchema],
] as const;

/** Re-expose the upstream's resources, prompts, completions and logging, and relay its notifications. */
export function forwardToUpstream(server: Server, upstream: Client, caps: ServerCapabilities): void {
  for (const [capability, request, result] of FORWARDED) {
    if (!caps[capability]) continue;
    if (capability === 'resources' && request === SubscribeRequestSchema && !caps.resources?.subscribe)
      continue;
    if (capability === 'resources' && request === UnsubscribeRequestSchema && !caps.resources?.subscribe)
      continue;
    server.setRequestHandler(request, (req, extra) =>
      mcpErrors(() => upstream.request(req, result, { signal: extra.signal })),
    );
  }
  upstream.fallbackNotificationHandler = async (notification) => {
    // A notification the downstream cannot take (not connected, no capability) is dropped.
    await server.notification(notification as Parameters<Server['notification']>[0]).catch(() => undefined);
  };
}
