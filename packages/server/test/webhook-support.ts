/** A webhook receiver on loopback (node:http) that records what it gets and answers as told. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read event bodies of every shape
  body: any;
  /** When it arrived, by `now`. */
  atMs: number;
}

/** What to answer: a status code, or 'hang' (never answer). */
export type Answer = number | 'hang';

export interface Receiver {
  url: string;
  received: Received[];
  /** Answers for the next requests, in order; then `fallback`. */
  script: Answer[];
  fallback: Answer;
  /** Requests being held open ('hang'). */
  hanging: number;
  close(): Promise<void>;
}

export async function startReceiver(now: () => number = Date.now): Promise<Receiver> {
  const held = new Set<ServerResponse>();
  const receiver: Receiver = {
    url: '',
    received: [],
    script: [],
    fallback: 200,
    get hanging() {
      return held.size;
    },
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      receiver.received.push({ headers: req.headers, raw, body: JSON.parse(raw), atMs: now() });
      const answer = receiver.script.shift() ?? receiver.fallback;
      if (answer === 'hang') {
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}

/** What a receiver does: recompute the HMAC of the raw body and compare in constant time. */
export function verifySignature(secret: string, raw: string, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', secret).update(raw).digest();
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Wait (real time) until `check` holds, calling `step` between looks; fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  {
    timeoutMs = 5_000,
    step = () => {},
    everyMs = 10,
  }: { timeoutMs?: number; step?: () => void; everyMs?: number } = {},
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms`);
    step();
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const hookBody = (url: string, eventTypes: string[], over: Record<string, unknown> = {}) => ({
  url,
  event_types: eventTypes,
  ...over,
});
