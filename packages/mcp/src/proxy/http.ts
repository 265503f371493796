import { randomUUID } from 'node:crypto';
import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

/** One MCP session's server, and what to do once the session is over. */
export interface HttpSession {
  server: Server;
  close?: () => Promise<void>;
}

export interface StreamableHttpOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Interface to bind; default 127.0.0.1 (loopback only). */
  host?: string;
  /** Path of the MCP endpoint; default `/mcp`. */
  path?: string;
  /** A new MCP session (an `initialize` without a session id): its server, not yet connected. */
  openSession: (sessionId: string) => Promise<HttpSession>;
}

export interface StreamableHttpServer {
  http: HttpServer;
  /** The MCP endpoint, e.g. `http://127.0.0.1:41234/mcp`. */
  url: URL;
  /** The ids of the sessions open now. */
  sessions: () => string[];
  /** Stop listening and close every session. */
  close: () => Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function reply(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Serve MCP over Streamable HTTP (stateful: each session has its id and its
 * own server from `openSession`). On a loopback interface, requests whose
 * Host is not a loopback name are refused (DNS rebinding).
 */
export async function serveStreamableHttp(options: StreamableHttpOptions): Promise<StreamableHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/mcp';
  const open = new Map<string, StreamableHTTPServerTransport>();

  const startSession = async (req: IncomingMessage, res: ServerResponse, body: unknown) => {
    const sessionId = randomUUID();
    const session = await options.openSession(sessionId);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
      onsessioninitialized: (id) => void open.set(id, transport),
    });
    session.server.onclose = () => {
      open.delete(sessionId);
      void session.close?.().catch(() => undefined);
    };
    await session.server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== path) return reply(res, 404, -32000, `no MCP endpoint at ${url.pathname}`);
    const hostname = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (LOOPBACK.has(host) && !LOOPBACK.has(hostname)) {
      return reply(res, 403, -32000, `Host ${hostname || '(none)'} not allowed`);
    }
    let body: unknown;
    if (req.method === 'POST') {
      try {
        body = await readJson(req);
      } catch {
        return reply(res, 400, -32700, 'Parse error: the body is not JSON');
      }
    }
    const sessionId = req.headers['mcp-session-id'];
    const transport = typeof sessionId === 'string' ? open.get(sessionId) : undefined;
    if (transport) return transport.handleRequest(req, res, body);
    if (sessionId !== undefined) return reply(res, 404, -32001, 'Session not found');
    if (req.method === 'POST' && isInitializeRequest(body)) return startSession(req, res, body);
    return reply(res, 400, -32000, 'Bad Request: no valid session id (start with initialize)');
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
  const { port } = http.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    http,
    url: new URL(`http://${shown}:${port}${path}`),
    sessions: () => [...open.keys()],
    close: async () => {
      await Promise.all([...open.values()].map((t) => t.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
