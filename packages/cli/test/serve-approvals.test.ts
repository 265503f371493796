/**
 * `governor serve --tenant-keys-decide-approvals`: a tenant's key approving its
 * own tenant's approval is refused by default (403, still PENDING) and
 * accepted with the flag (APPROVED, decided by the key).
 */
import { describe, expect, it } from 'vitest';
import { serveCommand } from '../src/commands/serve.js';
import { bufferIo } from '../src/index.js';

const ADMIN_KEY = 'serve-approvals-admin-key-0123456789';

async function withServe(flags: string[], fn: (url: string) => Promise<void>) {
  const io = bufferIo();
  const controller = new AbortController();
  const saved = process.env.GOVERNOR_ADMIN_KEY;
  process.env.GOVERNOR_ADMIN_KEY = ADMIN_KEY;
  const running = serveCommand(['--port', '0', '--no-console', ...flags], io, controller.signal);
  try {
    await expect.poll(() => io.stdout.some((l) => l.startsWith('Governor server listening on'))).toBe(true);
    await fn(/listening on (\S+)/.exec(io.stdout.join('\n'))?.[1] as string);
  } finally {
    controller.abort();
    expect(await running).toBe(0);
    if (saved === undefined) delete process.env.GOVERNOR_ADMIN_KEY;
    else process.env.GOVERNOR_ADMIN_KEY = saved;
  }
}

const send = async (
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
) => {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** A tenant with a key and one pending approval; then the key tries to approve it. */
async function approveWithTenantKey(url: string) {
  const admin = { 'x-admin-api-key': ADMIN_KEY };
  await send(url, 'POST', '/v1/admin/tenants', admin, { tenant_id: 'acme' });
  const key = {
    'x-cycles-api-key': (await send(url, 'POST', '/v1/admin/tenants/acme/api-keys', admin, {})).body
      .api_key as string,
  };
  const asked = await send(url, 'POST', '/v1/approvals', key, {
    key: 'call-1',
    subject: { tenant: 'acme' },
    action: { kind: 'tool.call', name: 'send_email' },
    estimate: { unit: 'RISK_POINTS', amount: 1 },
    reason_code: 'BUDGET_EXCEEDED',
    ttl_ms: 60_000,
  });
  const id = asked.body.approval_id as string;
  const decided = await send(url, 'POST', `/v1/approvals/${id}/approve`, key, {});
  const after = await send(url, 'GET', `/v1/admin/approvals/${id}?tenant=acme`, admin);
  return { decided, status: after.body.status, decidedBy: after.body.decided_by };
}

describe('governor serve --tenant-keys-decide-approvals', () => {
  it('refuses a tenant key deciding by default: 403, the approval stays PENDING', async () => {
    await withServe([], async (url) => {
      const { decided, status } = await approveWithTenantKey(url);
      expect(decided.status).toBe(403);
      expect(status).toBe('PENDING');
    });
  });

  it('accepts it with the flag, decided by the key', async () => {
    await withServe(['--tenant-keys-decide-approvals'], async (url) => {
      const { decided, status, decidedBy } = await approveWithTenantKey(url);
      expect(decided.status).toBe(200);
      expect(status).toBe('APPROVED');
      expect(decidedBy).toMatch(/^key:[0-9a-f]{16}$/);
    });
  });
});
