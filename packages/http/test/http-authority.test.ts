/**
 * HttpAuthority's failure mapping, against a scripted local HTTP server: socket
 * failures and timeouts are transport failures, error bodies their typed
 * errors, a 429 carries Retry-After, a non-conformant 2xx is ambiguous (retried
 * with the same key), a 409 denial is a DENY, `run` travels as dimensions.run.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AuthorityTimeoutError,
  type GovernorError,
  isRetryable,
  isTransportFailure,
  LimitExceededError,
  ReservationExpiredError,
  TransportError,
} from '@governor/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmbiguousResponseError, HttpAuthority } from '../src/index.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let handler: Handler = (_req, _body, res) => res.end();
let server: Server;
let url: string;
const bodies: { path: string; headers: IncomingMessage['headers']; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      bodies.push({ path: req.url ?? '', headers: req.headers, body: body ? JSON.parse(body) : undefined });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const reserve = {
  idempotencyKey: 'k-1',
  subject: { tenant: 'acme', workflow: 'support', run: '4821' },
  action: { kind: 'llm.completion', name: 'm' },
  estimate: { unit: 'TOKENS' as const, amount: 10 },
};
const commit = { idempotencyKey: 'c-1', actual: { unit: 'TOKENS' as const, amount: 5 } };

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('HttpAuthority', () => {
  it('sends the protocol JSON with the key, run as dimensions.run, and X-Idempotency-Key', async () => {
    handler = (_q, _b, res) =>
      json(res, 200, { decision: 'ALLOW', reservation_id: 'rsv_1', affected_scopes: ['tenant:acme'] });
    const a = new HttpAuthority({ baseUrl: url, apiKey: 'key-1' });
    const r = await a.reserve(reserve);
    expect(r).toEqual({ decision: 'ALLOW', reservationId: 'rsv_1', affectedScopes: ['tenant:acme'] });
    const sent = bodies.at(-1);
    expect(sent?.headers['x-cycles-api-key']).toBe('key-1');
    expect(sent?.headers['x-idempotency-key']).toBe('k-1');
    expect(sent?.body.subject).toEqual({ tenant: 'acme', workflow: 'support', dimensions: { run: '4821' } });
    await a.close();
  });

  it('validates before sending: an invalid request never leaves the process', async () => {
    const a = new HttpAuthority({ baseUrl: url, apiKey: 'k' });
    const before = bodies.length;
    const e = await caught(a.reserve({ ...reserve, ttlMs: 5 }));
    expect((e as GovernorError).code).toBe('INVALID_REQUEST');
    expect(bodies.length).toBe(before);
    await a.close();
  });

  it('a refused connection is a TransportError; a deadline an AuthorityTimeoutError', async () => {
    const dead = new HttpAuthority({ baseUrl: 'http://127.0.0.1:1', apiKey: 'k' });
    const e = await caught(dead.commit('rsv_1', commit));
    expect(TransportError.isInstance(e)).toBe(true);
    expect(isTransportFailure(e)).toBe(true);
    await dead.close();
    handler = () => undefined; // never answers
    const slow = new HttpAuthority({ baseUrl: url, apiKey: 'k', timeoutMs: 100 });
    const t = await caught(slow.commit('rsv_1', commit));
    expect(t).toBeInstanceOf(AuthorityTimeoutError);
    expect(isRetryable(t)).toBe(true);
    await slow.close();
  });

  it('error bodies are typed errors: 410 RESERVATION_EXPIRED, 5xx retryable, 429 with Retry-After', async () => {
    const a = new HttpAuthority({ baseUrl: url, apiKey: 'k' });
    handler = (_q, _b, res) =>
      json(res, 410, { error: 'RESERVATION_EXPIRED', message: 'gone', request_id: 'r' });
    expect(await caught(a.commit('rsv_1', commit))).toBeInstanceOf(ReservationExpiredError);
    handler = (_q, _b, res) => json(res, 503, { error: 'INTERNAL_ERROR', message: 'down', request_id: 'r' });
    const down = await caught(a.commit('rsv_1', commit));
    expect(isTransportFailure(down)).toBe(true);
    handler = (_q, _b, res) => json(res, 502, 'bad gateway');
    expect(isTransportFailure(await caught(a.commit('rsv_1', commit)))).toBe(true);
    handler = (_q, _b, res) =>
      json(
        res,
        429,
        { error: 'LIMIT_EXCEEDED', message: 'slow down', request_id: 'r' },
        { 'retry-after': '3' },
      );
    const limited = await caught(a.commit('rsv_1', commit));
    expect(limited).toBeInstanceOf(LimitExceededError);
    expect((limited as LimitExceededError).retryAfterMs).toBe(3_000);
    expect(isRetryable(limited)).toBe(true);
    await a.close();
  });

  it('a 2xx that is not the success shape or status is ambiguous (retryable, same key)', async () => {
    const a = new HttpAuthority({ baseUrl: url, apiKey: 'k' });
    for (const [status, body] of [
      [200, { status: 'OK' }],
      [200, 'not json'],
      [202, { status: 'COMMITTED', charged: { unit: 'TOKENS', amount: 5 } }],
    ] as const) {
      handler = (_q, _b, res) => json(res, status, body);
      const e = await caught(a.commit('rsv_1', commit));
      expect(e).toBeInstanceOf(AmbiguousResponseError);
      expect(isRetryable(e)).toBe(true);
    }
    handler = (_q, _b, res) => json(res, 200, { status: 'APPLIED', event_id: 'e' });
    const event = {
      idempotencyKey: 'e',
      subject: { tenant: 'acme' },
      action: reserve.action,
      actual: commit.actual,
    };
    expect(await caught(a.event(event))).toBeInstanceOf(AmbiguousResponseError); // events are 201
    await a.close();
  });

  it('a live reserve 409 with a denial code is a DENY; other 409s are errors', async () => {
    const a = new HttpAuthority({ baseUrl: url, apiKey: 'k' });
    handler = (_q, _b, res) =>
      json(res, 409, {
        error: 'BUDGET_EXCEEDED',
        message: 'no',
        request_id: 'r',
        details: { scope: 'tenant:acme', affected_scopes: ['tenant:acme'] },
      });
    expect(await a.reserve(reserve)).toEqual({
      decision: 'DENY',
      reasonCode: 'BUDGET_EXCEEDED',
      affectedScopes: ['tenant:acme'],
      blockedScope: 'tenant:acme',
    });
    handler = (_q, _b, res) =>
      json(res, 409, { error: 'IDEMPOTENCY_MISMATCH', message: 'no', request_id: 'r' });
    expect(((await caught(a.reserve(reserve))) as GovernorError).code).toBe('IDEMPOTENCY_MISMATCH');
    await a.close();
  });

  it('retries: N extra attempts with the same body', async () => {
    let calls = 0;
    handler = (_q, _b, res) => {
      calls++;
      if (calls < 3) json(res, 503, { error: 'INTERNAL_ERROR', message: 'x', request_id: 'r' });
      else json(res, 200, { status: 'COMMITTED', charged: { unit: 'TOKENS', amount: 5 } });
    };
    const a = new HttpAuthority({ baseUrl: url, apiKey: 'k', retries: 2 });
    const start = bodies.length;
    expect((await a.commit('rsv_1', commit)).status).toBe('COMMITTED');
    const sent = bodies.slice(start).map((b) => b.body.idempotency_key);
    expect(sent).toEqual(['c-1', 'c-1', 'c-1']);
    await a.close();
  });

  it("approvals on a server that has none: a lookup's 404 is an error unless it names the key", async () => {
    handler = (req, _b, res) =>
      req.url?.includes('key=asked-never')
        ? json(res, 404, {
            error: 'NOT_FOUND',
            message: 'no approval for key asked-never in tenant acme',
            request_id: 'r',
            details: { tenant: 'acme', key: 'asked-never' },
          })
        : json(res, 404, {
            error: 'NOT_FOUND',
            message: 'no route GET /v1/approvals/lookup',
            request_id: 'r',
          });
    const a = new HttpAuthority({ baseUrl: url, apiKey: 'k' });
    expect(await a.findApproval('acme', 'asked-never')).toBeUndefined();
    const foreign = await caught(a.findApproval('acme', 'call-1'));
    expect(foreign).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/no route/) });
    handler = (_q, _b, res) => json(res, 200, { approval_id: 5 });
    expect(await caught(a.getApproval('acme', 'apr_1'))).toBeInstanceOf(AmbiguousResponseError);
    await a.close();
  });
});
