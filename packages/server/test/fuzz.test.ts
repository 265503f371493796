/**
 * Malformed requests, many of them (10^4 here, FUZZ_REQUESTS=100000 for 10^5),
 * over loopback: bad JSON, wrong types, unknown fields, huge numbers,
 * oversized bodies, wrong methods and content types, missing, garbage and
 * foreign keys. Every answer is a 4xx (never a 5xx, never a 2xx), the ledger
 * is exactly as before, and the server keeps answering.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { reserveBody, startTestServer, type TestServer } from './support.js';

const COUNT = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const CONCURRENCY = 32;

let t: TestServer;
let live: string;

beforeAll(async () => {
  t = await startTestServer();
  await t.ledger.createBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: 1_000_000 });
  await t.ledger.createBudget({ scope: 'tenant:globex', unit: 'USD_MICROCENTS', allocated: 1_000_000 });
  live = (await t.req('POST', '/v1/reservations', { body: reserveBody({ ttl_ms: 3_600_000 }) })).body
    .reservation_id;
});
afterAll(() => t.close());

/** mulberry32: a small seeded PRNG, so a failure replays. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = Record<string, any>;
interface Case {
  kind: string;
  method: string;
  path: string;
  raw?: string;
  key?: string | null;
  headers?: Record<string, string>;
}

const action = { kind: 'llm.completion', name: 'm' };
const amount = { unit: 'USD_MICROCENTS', amount: 10 };
const WRONG = [null, true, 'text', 12, -3, 1.5, [], {}, [1, 'a'], { a: 1 }];
const HUGE = ['1e400', '-1e400', '9007199254740993', '-1', '0.5', '1e21', '123456789012345678901234567890'];

function generator(random: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const bodies = (): [string, Json] =>
    structuredClone(
      pick([
        ['/v1/reservations', reserveBody()],
        [
          '/v1/decide',
          { idempotency_key: `d-${random()}`, subject: { tenant: 'acme' }, action, estimate: amount },
        ],
        [
          '/v1/events',
          { idempotency_key: `e-${random()}`, subject: { tenant: 'acme' }, action, actual: amount },
        ],
        [`/v1/reservations/${live}/commit`, { idempotency_key: `c-${random()}`, actual: amount }],
        [`/v1/reservations/${live}/release`, { idempotency_key: `r-${random()}`, reason: 'x' }],
        [`/v1/reservations/${live}/extend`, { idempotency_key: `x-${random()}`, extend_by_ms: 1_000 }],
      ]),
    ) as [string, Json];
  /** A field path of `body` that holds a value (nested objects included). */
  const fieldOf = (body: Json): string[] => {
    const paths: string[][] = [];
    const walk = (o: Json, at: string[]) => {
      for (const [k, v] of Object.entries(o)) {
        paths.push([...at, k]);
        if (v && typeof v === 'object' && !Array.isArray(v) && k !== 'metadata') walk(v, [...at, k]);
      }
    };
    walk(body, []);
    return pick(paths);
  };
  const setAt = (body: Json, path: string[], value: unknown) => {
    let o = body;
    for (const p of path.slice(0, -1)) o = o[p];
    o[path[path.length - 1] as string] = value;
  };

  return (): Case => {
    const [path, body] = bodies();
    switch (
      pick([
        'json',
        'type',
        'unknown',
        'huge',
        'big',
        'method',
        'key',
        'foreign',
        'ctype',
        'header',
        'query',
        'proto',
        'id',
      ])
    ) {
      case 'json': {
        const text = JSON.stringify(body);
        const raw = pick([
          text.slice(0, Math.floor(random() * (text.length - 1))),
          '{',
          '[1,2',
          'null',
          '"s"',
          '42',
          '[]',
          `${text}}`,
          text.replace(':', ''),
        ]);
        return { kind: 'bad json', method: 'POST', path, raw };
      }
      case 'type': {
        const field = fieldOf(body);
        let o: any = body;
        for (const p of field) o = o?.[p];
        const wrong = WRONG.filter((w) => typeof w !== typeof o || Array.isArray(w) !== Array.isArray(o));
        setAt(body, field, structuredClone(pick(wrong)));
        // Optional strings that accept any text (reason) stay valid with a string: force a non-string.
        if (field.at(-1) === 'reason' || field.at(-1) === 'dry_run') setAt(body, field, { no: 1 });
        return { kind: 'wrong type', method: 'POST', path, raw: JSON.stringify(body) };
      }
      case 'unknown': {
        const field = fieldOf(body);
        const parent = field.slice(0, -1);
        let o: any = body;
        for (const p of parent) o = o[p];
        if (parent.at(-1) === 'dimensions' || parent.at(-1) === 'metadata') o = body;
        o[`zz_${Math.floor(random() * 1e6)}`] = 1;
        return { kind: 'unknown field', method: 'POST', path, raw: JSON.stringify(body) };
      }
      case 'huge': {
        const text = JSON.stringify(body).replace(
          /"amount":10|"extend_by_ms":1000/,
          (m) => `${m.split(':')[0]}:${pick(HUGE)}`,
        );
        if (!/"amount"|"extend_by_ms"/.test(text))
          return { kind: 'huge', method: 'POST', path, raw: text.replace(/}$/, ',"amount":1e400}') };
        return { kind: 'huge number', method: 'POST', path, raw: text };
      }
      case 'big':
        return {
          kind: 'oversized',
          method: 'POST',
          path,
          raw: JSON.stringify({
            ...body,
            metadata: { pad: 'x'.repeat(66_000 + Math.floor(random() * 4_000)) },
          }),
        };
      case 'method':
        return {
          kind: 'wrong method',
          method: pick(['PUT', 'PATCH', 'DELETE']),
          path,
          raw: JSON.stringify(body),
        };
      case 'key':
        return {
          kind: 'bad key',
          method: 'POST',
          path,
          raw: JSON.stringify(body),
          key: pick([
            null,
            '',
            'gov_',
            'gov_0123456789abcdef.short',
            `gov_0123456789abcdef.${'A'.repeat(43)}`,
            'x'.repeat(300),
          ]),
        };
      case 'foreign': {
        if (!('subject' in body))
          return { kind: 'foreign key', method: 'POST', path, raw: JSON.stringify(body), key: 'globex' };
        return { kind: 'foreign tenant', method: 'POST', path, raw: JSON.stringify(body), key: 'globex' };
      }
      case 'ctype':
        return {
          kind: 'content type',
          method: 'POST',
          path,
          raw: JSON.stringify(body),
          headers: {
            'content-type': pick(['text/plain', 'application/x-www-form-urlencoded', 'application/xml']),
          },
        };
      case 'header':
        return {
          kind: 'idempotency header',
          method: 'POST',
          path,
          raw: JSON.stringify(body),
          headers: { 'x-idempotency-key': `other-${random()}` },
        };
      case 'query':
        return {
          kind: 'query',
          method: 'GET',
          path: pick([
            '/v1/balances',
            '/v1/balances?limit=abc&tenant=acme',
            '/v1/balances?tenant=acme&limit=0',
            '/v1/balances?tenant=acme&include_children=maybe',
            '/v1/balances?tenant=globex',
            '/v1/reservations?status=NOPE',
            '/v1/reservations?limit=-1',
            '/v1/reservations?sort_by=x',
            '/v1/reservations?from=yesterday',
            '/v1/reservations?cursor=%00%ff',
            '/v1/reservations?tenant=globex',
          ]),
        };
      case 'proto':
        return {
          kind: 'proto poisoning',
          method: 'POST',
          path,
          raw: JSON.stringify(body).replace(/^\{/, '{"__proto__":{"x":1},'),
        };
      default:
        return {
          kind: 'unknown id',
          method: 'POST',
          path: `/v1/reservations/${pick(['rsv_nope', 'x'.repeat(129), '%00', 'rsv_' + 'a'.repeat(200)])}/commit`,
          raw: JSON.stringify({ idempotency_key: 'k', actual: amount }),
        };
    }
  };
}

async function snapshot() {
  const budgets = await t.ledger.listBudgets();
  const reservations = await t.ledger.listReservations({ limit: 200 });
  return { budgets, reservations: reservations.reservations };
}

it(`${COUNT} malformed requests: only 4xx, no state change, still answering`, {
  timeout: 600_000,
}, async () => {
  const before = await snapshot();
  const next = generator(prng(20260101));
  const statuses = new Map<number, number>();
  const unexpected: string[] = [];
  const started = performance.now();
  let sent = 0;
  const worker = async () => {
    while (sent < COUNT) {
      sent++;
      const c = next();
      const r = await t.req(c.method, c.path, {
        ...(c.raw !== undefined ? { raw: c.raw } : {}),
        ...(c.key !== undefined ? { key: c.key } : {}),
        ...(c.headers ? { headers: c.headers } : {}),
      });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if ((r.status < 400 || r.status >= 500) && unexpected.length < 10) {
        unexpected.push(
          `${c.kind}: ${c.method} ${c.path} → ${r.status} ${r.text.slice(0, 200)}\n  ${String(c.raw).slice(0, 300)}`,
        );
      }
      if (
        r.status < 500 &&
        r.status >= 400 &&
        r.headers['content-type']?.toString().startsWith('application/json')
      ) {
        if (typeof r.body?.error !== 'string' || typeof r.body?.request_id !== 'string') {
          if (unexpected.length < 10)
            unexpected.push(`${c.kind}: no error envelope: ${r.text.slice(0, 200)}`);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  expect(unexpected, unexpected.join('\n')).toEqual([]);
  expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
  expect(await snapshot()).toEqual(before);
  expect((await t.req('GET', '/healthz', { key: null })).status).toBe(200);
  expect((await t.req('POST', '/v1/reservations', { body: reserveBody() })).status).toBe(200);
  console.log(
    `fuzz: ${COUNT} requests in ${seconds.toFixed(1)} s, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
  );
});
