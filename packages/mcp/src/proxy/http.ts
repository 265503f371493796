import { randomUUID } from 'node:crypto';
import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { bearer, type Tokens } from './auth.js';
import { serveOnInitialize } from './defer.js';
import type { ProxySession, SessionContext } from './sessions.js';
import { type Entry, SessionTable } from './table.js';

export type HttpSession = ProxySession;

export interface StreamableHttpOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Interface to bind; default 127.0.0.1 (loopback only). */
  host?: string;
  /** Path of the MCP endpoint; default `/mcp`. */
  path?: string;
  /** A new session, once its `initialize` is valid: its server, not yet connected. */
  openSession: (session: SessionContext) => Promise<HttpSession>;
  /** A session with no request open this long is closed; default 30 min. */
  idleTimeoutMs?: number;
  /** Open sessions at most (the longest idle is closed to make room); default 100. */
  maxSessions?: number;
  /** Largest request body, else 413; default the SDK's (4 MiB). */
  maxBodyBytes?: number;
  /** Host headers accepted besides the loopback names (with the port) on a loopback interface. */
  allowedHosts?: string[];
  /** Origins accepted besides the loopback ones (requests without Origin are not browsers: accepted). */
  allowedOrigins?: string[];
  /** Bearer tokens and their tenants; undefined: no auth. */
  tokens?: Tokens;
}

export interface StreamableHttpServer {
  http: HttpServer;
  /** The MCP endpoint, e.g. `http://127.0.0.1:41234/mcp`. */
  url: URL;
  /** The ids of the sessions open now. */
  sessions: () => string[];
  /** Stop listening and close every session (each one's `close` done). */
  close: () => Promise<void>;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];
const isLoopback = (host: string) => LOOPBACK.includes(host) || host === '::1';

function reply(res: ServerResponse, status: number, code: number, message: string, headers = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/**
 * Serve MCP over Streamable HTTP, stateful: a session (and its upstream)
 * starts only for a valid `initialize`; sessions are closed on DELETE, when
 * idle too long, or to make room. The SDK's transport checks Host and Origin
 * (DNS rebinding), Accept and Content-Type, and the body size.
 */
export async function serveStreamableHttp(options: StreamableHttpOptions): Promise<StreamableHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/mcp';
  const table = new SessionTable<Entry & { transport: StreamableHTTPServerTransport }>(
    options.maxSessions ?? 100,
    options.idleTimeoutMs ?? 30 * 60_000,
  );
  let port = 0;
  const guard = () => {
    const names = isLoopback(host) ? LOOPBACK.map((h) => `${h}:${port}`) : [];
    return {
      enableDnsRebindingProtection: true,
      allowedHosts: [...names, ...(options.allowedHosts ?? [])],
      allowedOrigins: [...LOOPBACK.map((h) => `http://${h}:${port}`), ...(options.allowedOrigins ?? [])],
      ...(options.maxBodyBytes ? { maxRequestBodySize: options.maxBodyBytes } : {}),
    };
  };

  const start = async (req: IncomingMessage, res: ServerResponse, token: string | undefined) => {
    if (!table.hasRoom())
      return reply(res, 503, -32000, 'too many open MCP sessions; retry later', { 'retry-after': '5' });
    let closed = false;
    let session: HttpSession | undefined;
    const id = randomUUID();
    const finish = async () => {
      if (closed) return;
      closed = true;
      await table.close(id);
      await transport.close().catch(() => undefined);
      await session?.close();
    };
    const entry = { lastActive: Date.now(), open: 0, token, close: finish };
    const transport = new StreamableHTTPServerTransport({
      ...guard(),
      sessionIdGenerator: () => id,
      onsessioninitialized: async () => {
        const added = { ...entry, transport };
        if (!(await table.add(id, added))) throw new Error('too many open MCP sessions');
        table.track(added, (done) => res.once('close', done)); // busy until its initialize is answered
      },
    });
    const tenant = token ? options.tokens?.get(token) : undefined;
    await serveOnInitialize(
      transport,
      async (init) => {
        const opened = await options.openSession({ sessionId: id, init, headers: req.headers, tenant });
        if (closed) {
          await opened.close(); // closed while its upstream was starting
          throw new Error('the session was closed');
        }
        session = opened;
        session.server.onclose = () => void finish();
        return session.server;
      },
      () => void finish(),
    );
    await transport.handleRequest(req, res);
    // Not a valid initialize (406, 415, 413, bad JSON, …): nothing was started; drop the transport.
    if (!transport.sessionId) await transport.close().catch(() => undefined);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== path) return reply(res, 404, -32000, `no MCP endpoint at ${url.pathname}`);
    const token = options.tokens ? bearer(req, options.tokens) : undefined;
    if (options.tokens && !token) {
      return reply(res, 401, -32001, 'Unauthorized: a valid bearer token is required', {
        'www-authenticate': 'Bearer realm="governor-mcp-proxy"',
      });
    }
    const sessionId = req.headers['mcp-session-id'];
    if (sessionId === undefined) return start(req, res, token);
    const entry = typeof sessionId === 'string' ? table.get(sessionId) : undefined;
    if (!entry || entry.token !== token) return reply(res, 404, -32001, 'Session not found');
    // A standalone GET stream only listens: it does not keep a session from being idle.
    if (req.method === 'GET') entry.lastActive = Date.now();
    else table.track(entry, (done) => res.once('close', done));
    return entry.transport.handleRequest(req, res);
  };

  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) reply(res, 502, -32603, `governor-mcp-proxy: ${message}`);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, host, () => resolve());
  });
  port = (http.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    http,
    url: new URL(`http://${shown}:${port}${path}`),
    sessions: () => table.ids(),
    close: async () => {
      await table.closeAll();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
