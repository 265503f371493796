/**
 * `governor serve` webhook flags: a receiver on loopback over http is refused
 * by default (SSRF rules) and accepted with --webhooks-allow-private and
 * --webhooks-allow-http.
 */
import { describe, expect, it } from 'vitest';
import { serveCommand } from '../src/commands/serve.js';
import { bufferIo } from '../src/index.js';

const ADMIN_KEY = 'serve-webhooks-admin-key-0123456789';

async function withServe(flags: string[], fn: (url: string) => Promise<void>) {
  const io = bufferIo();
  const controller = new AbortController();
  const saved = process.env.GOVERNOR_ADMIN_KEY;
  process.env.GOVERNOR_ADMIN_KEY = ADMIN_KEY;
  const running = serveCommand(['--port', '0', '--no-console', ...flags], io, controller.signal);
  try {
    await expect.poll(() => io.stdout.some((l) => l.startsWith('Governor server listening on'))).toBe(true);
    const url = /listening on (\S+)/.exec(io.stdout.join('\n'))?.[1] as string;
    await fn(url);
  } finally {
    controller.abort();
    expect(await running).toBe(0);
    if (saved === undefined) delete process.env.GOVERNOR_ADMIN_KEY;
    else process.env.GOVERNOR_ADMIN_KEY = saved;
  }
}

const admin = (url: string, path: string, body: unknown) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-admin-api-key': ADMIN_KEY },
    body: JSON.stringify(body),
  });

const subscribe = async (url: string) => {
  expect((await admin(url, '/v1/admin/tenants', { tenant_id: 'acme' })).status).toBe(201);
  return admin(url, '/v1/admin/tenants/acme/webhooks', {
    url: 'http://127.0.0.1:9/hook',
    event_types: ['decision.denied'],
  });
};

describe('governor serve --webhooks-allow-private / --webhooks-allow-http', () => {
  it('refuses a loopback http receiver by default, with the reason', async () => {
    await withServe([], async (url) => {
      const r = await subscribe(url);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { message: string }).message).toMatch(/url/);
    });
  });

  it('accepts it with both flags', async () => {
    await withServe(['--webhooks-allow-private', '--webhooks-allow-http'], async (url) => {
      expect((await subscribe(url)).status).toBe(201);
    });
  });
});
