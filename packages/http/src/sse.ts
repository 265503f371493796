/**
 * Server-sent events over `fetch()`, for clients that must send a header
 * (EventSource cannot): the operator console in a browser and `governor
 * watch` in Node read a server's live audit stream with this. Web-standard
 * APIs only (fetch, ReadableStream, TextDecoder), so it runs in both.
 */

export interface SseEvent {
  /** The `event:` field; `message` when absent. */
  event: string;
  /** The `data:` lines, joined by newlines. */
  data: string;
  /** The `id:` field, when the event has one. */
  id?: string;
}

/** One event from its block of lines; undefined for a block without data (comments, keep-alives). */
export function parseSseBlock(block: string): SseEvent | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const raw = colon < 0 ? '' : line.slice(colon + 1);
    const value = raw.startsWith(' ') ? raw.slice(1) : raw;
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (data.length === 0) return undefined;
  return { event, data: data.join('\n'), ...(id !== undefined ? { id } : {}) };
}

/** The events of a response body, as they arrive; ends when the body does. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const event = parseSseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event) yield event;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

export interface AuditStreamOptions {
  /** The server, e.g. `http://127.0.0.1:7878` (a page passes `location.origin`). */
  baseUrl: string;
  /** The credential: `{ 'x-admin-api-key': … }`, or a tenant's `{ 'x-cycles-api-key': … }`. */
  headers: Record<string, string>;
  /** Default `/v1/admin/audit/stream`; a tenant key uses `/v1/audit/stream`. */
  path?: string;
  /** Only this tenant's records. */
  tenant?: string;
  /** Start after this cursor (an audit page's `cursor`); default: from now on. */
  after?: string;
  signal?: AbortSignal;
  /** Wait before reconnecting after the stream ended or failed, ms; default 1,000. */
  retryMs?: number;
  /** The stream is open (again). */
  onOpen?: () => void;
  /** The stream ended or failed and will be opened again. */
  onDrop?: (error: unknown) => void;
}

/** A refusal that a reconnect would not change (a wrong key, a missing route). */
export class AuditStreamRefused extends Error {
  override readonly name = 'AuditStreamRefused';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/**
 * The records of a server's audit stream (`event: audit`), as the server
 * pushes them; reconnects from the last cursor when the stream drops (a record
 * may then come twice: callers dedupe by tenant and id). Ends when `signal`
 * aborts; throws AuditStreamRefused on a 4xx.
 */
export async function* followAuditStream<R = unknown>(options: AuditStreamOptions): AsyncGenerator<R> {
  const { signal } = options;
  let after = options.after;
  while (!signal?.aborted) {
    try {
      const url = new URL(options.path ?? '/v1/admin/audit/stream', options.baseUrl);
      if (options.tenant !== undefined) url.searchParams.set('tenant', options.tenant);
      if (after !== undefined) url.searchParams.set('after', after);
      const res = await fetch(url, {
        headers: { accept: 'text/event-stream', ...options.headers },
        ...(signal ? { signal } : {}),
      });
      if (res.status >= 400 && res.status < 500) {
        const body = (await res.json().catch(() => ({}))) as { message?: string };
        throw new AuditStreamRefused(res.status, body.message ?? `the audit stream answered ${res.status}`);
      }
      if (!res.ok || !res.body) throw new Error(`the audit stream answered ${res.status}`);
      options.onOpen?.();
      for await (const event of readSse(res.body)) {
        if (event.id !== undefined) after = event.id;
        if (event.event === 'audit') yield JSON.parse(event.data) as R;
      }
      options.onDrop?.(new Error('the audit stream ended'));
    } catch (error) {
      if (signal?.aborted) return;
      if (error instanceof AuditStreamRefused) throw error;
      options.onDrop?.(error);
    }
    await pause(options.retryMs ?? 1_000, signal);
  }
}
