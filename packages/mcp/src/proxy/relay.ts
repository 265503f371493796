import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  type RequestId,
  ResultSchema,
  RootsListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

/** The host's capabilities that the proxy offers the upstream in turn: sampling, elicitation, roots. */
export function relayedCapabilities(host: ClientCapabilities | undefined): ClientCapabilities {
  const { sampling, elicitation, roots } = host ?? {};
  return {
    ...(sampling ? { sampling } : {}),
    ...(elicitation ? { elicitation } : {}),
    ...(roots ? { roots } : {}),
  };
}

export interface RelayOptions {
  /** The host's capabilities (from its `initialize`). */
  host: ClientCapabilities | undefined;
  timeoutMs: number;
  /** The host request in flight that an upstream request belongs to (its stream, over HTTP). */
  related: () => RequestId | undefined;
}

/**
 * Relay what the upstream sends towards the host: its sampling, elicitation
 * and roots requests (asked of the host, the answer passed back) and its
 * notifications. Install on every new upstream client, before it connects
 * (`host` may still be on its way: requests wait for it).
 */
export function relayToHost(client: Client, host: Promise<Server>, options: RelayOptions): void {
  const caps = relayedCapabilities(options.host);
  const ask = async (
    req: Parameters<Server['request']>[0],
    extra: { signal: AbortSignal },
  ): Promise<never> => {
    const server = await host;
    const related = options.related();
    const opts: RequestOptions = {
      signal: extra.signal,
      timeout: options.timeoutMs,
      ...(related !== undefined ? { relatedRequestId: related } : {}),
    };
    return (await server.request(req, ResultSchema, opts)) as never;
  };
  if (caps.sampling) client.setRequestHandler(CreateMessageRequestSchema, ask);
  if (caps.elicitation) client.setRequestHandler(ElicitRequestSchema, ask);
  if (caps.roots) client.setRequestHandler(ListRootsRequestSchema, ask);
  client.fallbackNotificationHandler = async (notification) => {
    const server = await host;
    const related = options.related();
    // A notification the host cannot take (not connected, no capability) is dropped.
    await server
      .notification(
        notification as Parameters<Server['notification']>[0],
        related !== undefined ? { relatedRequestId: related } : undefined,
      )
      .catch(() => undefined);
  };
}

/** Relay the host's notifications the upstream cares about (roots changed). */
export function relayToUpstream(server: Server, upstream: () => Client): void {
  server.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
    await upstream()
      .sendRootsListChanged()
      .catch(() => undefined);
  });
}

/** The most recent of the host's requests in flight, if any. */
export const latest = (ids: Set<RequestId>): RequestId | undefined => [...ids].at(-1);
