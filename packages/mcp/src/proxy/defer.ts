import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  type InitializeRequest,
  isInitializeRequest,
  isJSONRPCRequest,
  type JSONRPCMessage,
  type MessageExtraInfo,
} from '@modelcontextprotocol/sdk/types.js';

/** The transport as the session's server sees it: the real one, already started. */
class Started implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  constructor(readonly inner: Transport) {}
  get sessionId() {
    return this.inner.sessionId;
  }
  async start() {}
  send(message: JSONRPCMessage, options?: TransportSendOptions) {
    return this.inner.send(message, options);
  }
  close() {
    return this.inner.close();
  }
  setProtocolVersion(version: string) {
    this.inner.setProtocolVersion?.(version);
  }
}

/**
 * Start `transport` and build the session's server only when the host's
 * `initialize` arrives: no upstream is started before a valid initialize, and
 * it can be started with the host's capabilities (sampling, elicitation,
 * roots). Messages that arrive meanwhile wait; if `open` fails, the host gets
 * a JSON-RPC error for its initialize and the transport is closed.
 */
export async function serveOnInitialize(
  transport: Transport,
  open: (init: InitializeRequest['params']) => Promise<Server>,
  onclose?: () => void,
): Promise<void> {
  const started = new Started(transport);
  let queued: [JSONRPCMessage, MessageExtraInfo | undefined][] | undefined = [];
  transport.onclose = () => (started.onclose ? started.onclose() : onclose?.());
  transport.onerror = (error) => started.onerror?.(error);
  transport.onmessage = (message, extra) => {
    if (!queued) return started.onmessage?.(message, extra);
    if (queued.length === 0 && !isInitializeRequest(message)) {
      if (!isJSONRPCRequest(message)) return;
      const error = { code: ErrorCode.InvalidRequest, message: 'the session must start with initialize' };
      return void transport.send({ jsonrpc: '2.0', id: message.id, error }).catch(() => undefined);
    }
    queued.push([message, extra]);
    if (queued.length > 1 || !isInitializeRequest(message)) return;
    const id = (message as { id: string | number }).id;
    open(message.params).then(
      async (server) => {
        await server.connect(started);
        const pending = queued ?? [];
        queued = undefined;
        for (const [m, x] of pending) started.onmessage?.(m, x);
      },
      async (reason: unknown) => {
        const text = `governor-mcp-proxy: cannot start the upstream MCP server: ${reason instanceof Error ? reason.message : String(reason)}`;
        await transport
          .send({ jsonrpc: '2.0', id, error: { code: ErrorCode.InternalError, message: text } })
          .catch(() => undefined);
        await transport.close().catch(() => undefined);
      },
    );
  };
  await transport.start();
}
