/**
 * One HTTP exchange with a Cycles server, and what its outcome means:
 * a socket failure or a timeout is a TransportError (AuthorityTimeoutError for
 * the deadline), an error body is the typed error of its code (429 with
 * Retry-After as `retryAfterMs`), a 2xx that is not the expected status and
 * shape is ambiguous (retried with the same key by the Governor lifecycle).
 */
import {
  AuthorityTimeoutError,
  ERROR_CODES,
  type ErrorCode,
  errorFromCode,
  type GovernorError,
  InvalidRequestError,
  LimitExceededError,
  requestShapeIssue,
  TransportError,
} from '@governor/core';
import { type Dispatcher, Pool } from 'undici';

type Json = Record<string, unknown>;

const CODES = new Set<string>(ERROR_CODES);
const AMBIGUOUS = Symbol.for('governor.ambiguous-response');

/** A 2xx answer that is not the protocol's success for the call: it may or may not have happened. */
export class AmbiguousResponseError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(operation: string, status: number, body: unknown, why: string) {
    super(`${operation}: HTTP ${status} is not a valid ${operation} answer (${why})`);
    this.name = 'AmbiguousResponseError';
    this.status = status;
    this.body = body;
    // The marker core's isRetryable() recognises: retried with the same key, never taken as done.
    Object.defineProperty(this, AMBIGUOUS, { value: true });
  }
}

export interface TransportOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:7878`. */
  baseUrl: string;
  /** Deadline of each request in ms (connect, send, answer); default 5,000. */
  timeoutMs?: number;
  /** Keep-alive connections in the pool; default 32. */
  connections?: number;
  /** Extra attempts after a transport failure, a 5xx or a 429, with the same body (and key); default 0. */
  retries?: number;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** An undici dispatcher of yours (an Agent, a Pool, a MockAgent) instead of our own Pool. */
  dispatcher?: Dispatcher;
}

export interface Exchange {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

const STATUS_CODE: Record<number, ErrorCode> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'BUDGET_EXCEEDED',
  410: 'RESERVATION_EXPIRED',
  413: 'INVALID_REQUEST',
  429: 'LIMIT_EXCEEDED',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HttpTransport {
  readonly baseUrl: string;
  readonly #origin: string;
  readonly #basePath: string;
  readonly #dispatcher: Dispatcher;
  readonly #own: boolean;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #headers: Record<string, string>;

  constructor(options: TransportOptions) {
    const url = new URL(options.baseUrl);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#origin = url.origin;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#retries = options.retries ?? 0;
    this.#headers = { ...options.headers };
    this.#own = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Pool(this.#origin, {
        connections: options.connections ?? 32,
        keepAliveTimeout: 30_000,
        connectTimeout: this.#timeoutMs,
      });
  }

  /** Send, retrying transport failures, 5xx and 429 `retries` times with the same body. */
  async send(operation: string, exchange: Exchange): Promise<Answer> {
    // What JSON cannot carry (a BigInt, a Date or Map JSON would turn into something valid) never leaves.
    const shape = requestShapeIssue(exchange.body);
    if (shape) {
      const path = shape.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      throw new InvalidRequestError([{ path: path.replace(/^\./, ''), message: shape.message }]);
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await this.#once(operation, exchange);
        if (attempt < this.#retries && (answer.status >= 500 || answer.status === 429)) {
          await sleep(retryDelayMs(answer, attempt));
          continue;
        }
        return answer;
      } catch (error) {
        if (attempt >= this.#retries) throw error;
        await sleep(Math.min(1_000, 50 * 2 ** attempt));
      }
    }
  }

  async #once(operation: string, exchange: Exchange): Promise<Answer> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#timeoutMs);
    try {
      const json = exchange.body === undefined ? undefined : JSON.stringify(exchange.body);
      const response = await this.#dispatcher.request({
        origin: this.#origin,
        path: this.#basePath + exchange.path,
        method: exchange.method,
        headers: {
          accept: 'application/json',
          ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
          ...this.#headers,
          ...exchange.headers,
        },
        ...(json !== undefined ? { body: json } : {}),
        signal: controller.signal,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
      const text = await response.body.text();
      let body: unknown = text;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      return { status: response.statusCode, headers: response.headers, body };
    } catch (error) {
      if (timedOut) {
        const e = new AuthorityTimeoutError(operation, this.#timeoutMs);
        e.cause = error;
        throw e;
      }
      throw new TransportError(`${operation}: ${(error as Error).message ?? String(error)}`, error);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.#own) await this.#dispatcher.close();
  }
}

function retryDelayMs(answer: Answer, attempt: number): number {
  const after = retryAfterMs(answer);
  return Math.min(30_000, after ?? 100 * 2 ** attempt);
}

/** Retry-After (delta seconds) in ms, else the body's `details.retry_after_ms`. */
export function retryAfterMs(answer: Answer): number | undefined {
  const header = answer.headers['retry-after'];
  const text = Array.isArray(header) ? header[0] : header;
  if (text !== undefined && /^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const details = isObject(answer.body) && isObject(answer.body.details) ? answer.body.details : undefined;
  return typeof details?.retry_after_ms === 'number' ? details.retry_after_ms : undefined;
}

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The typed error for a non-2xx answer. */
export function errorOf(operation: string, answer: Answer): GovernorError {
  const body = isObject(answer.body) ? answer.body : undefined;
  const known = typeof body?.error === 'string' && CODES.has(body.error);
  const code: ErrorCode = known
    ? (body?.error as ErrorCode)
    : answer.status >= 500
      ? 'INTERNAL_ERROR'
      : (STATUS_CODE[answer.status] ?? 'INVALID_REQUEST');
  const message =
    typeof body?.message === 'string' && body.message !== ''
      ? body.message
      : `${operation}: HTTP ${answer.status}${typeof answer.body === 'string' && answer.body ? `: ${answer.body.slice(0, 200)}` : ''}`;
  const details: Json = { ...(isObject(body?.details) ? body.details : {}), http_status: answer.status };
  if (typeof body?.request_id === 'string') details.request_id = body.request_id;
  if (code === 'LIMIT_EXCEEDED') return new LimitExceededError(message, retryAfterMs(answer), details);
  return errorFromCode(code, message, details);
}
