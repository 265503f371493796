import { type Ledger, ManualClock, MemoryAuthority } from '@governor/core';
import { Pool } from 'undici';
import { createServer, type GovernorServer, newApiKey, type ServerOptions } from '../src/index.js';

export const ADMIN_KEY = 'admin-key-for-tests-0123456789';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

export interface TestServer {
  server: GovernorServer;
  ledger: Ledger;
  clock: ManualClock;
  url: string;
  keys: Record<string, string>;
  /** One request over loopback; `key` is a tenant (its key) or a literal header value. */
  req(
    method: string,
    path: string,
    options?: { body?: unknown; raw?: string; key?: string | null; headers?: Record<string, string> },
  ): Promise<Reply>;
  close(): Promise<void>;
}

export async function startTestServer(
  options: Partial<ServerOptions> & { tenants?: string[] } = {},
): Promise<TestServer> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const ledger = options.authority ?? new MemoryAuthority({ clock });
  const server = await createServer({
    adminKey: ADMIN_KEY,
    rateLimit: false,
    tenantCacheMs: 0,
    ...options,
    authority: ledger,
  });
  const keys: Record<string, string> = {};
  for (const tenantId of options.tenants ?? ['acme', 'globex']) {
    await server.store.createTenant({ tenantId, status: 'ACTIVE', createdAtMs: 0, updatedAtMs: 0 });
    const k = newApiKey();
    await server.store.createKey({
      keyId: k.keyId,
      tenantId,
      status: 'ACTIVE',
      createdAtMs: 0,
      salt: k.salt,
      hash: k.hash,
    });
    keys[tenantId] = k.apiKey;
  }
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  const pool = new Pool(url, { connections: 16 });
  return {
    server,
    ledger,
    clock,
    url,
    keys,
    async req(method, path, { body, raw, key = 'acme', headers = {} } = {}) {
      const h: Record<string, string> = { ...headers };
      if (key !== null) h['x-cycles-api-key'] = keys[key] ?? key;
      let payload: string | undefined = raw;
      if (body !== undefined) payload = JSON.stringify(body);
      if (payload !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
        h['content-type'] = 'application/json';
      }
      const res = await pool.request({
        method: method as 'GET',
        path,
        headers: h,
        ...(payload !== undefined ? { body: payload } : {}),
      });
      const text = await res.body.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {}
      return { status: res.statusCode, headers: res.headers, body: parsed, text };
    },
    async close() {
      await pool.close();
      await server.close();
    },
  };
}

export const admin = (headers: Record<string, string> = {}) => ({ 'x-admin-api-key': ADMIN_KEY, ...headers });

export const reserveBody = (over: Record<string, unknown> = {}) => ({
  idempotency_key: `rsv-${Math.random().toString(36).slice(2)}`,
  subject: { tenant: 'acme', workflow: 'support' },
  action: { kind: 'llm.completion', name: 'gpt-4o-mini' },
  estimate: { unit: 'USD_MICROCENTS', amount: 100 },
  ...over,
});
