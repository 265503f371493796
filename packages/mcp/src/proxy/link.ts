import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { NotSentError } from '../sent.js';
import { type ConnectOptions, connectUpstream, type UpstreamSpec } from './upstream.js';

/** What to do when the upstream exits on its own: start it again (with backoff), or give up. */
export type OnUpstreamExit = 'restart' | 'exit';

export interface UpstreamLinkOptions extends ConnectOptions {
  spec: UpstreamSpec;
  /** Default `restart`. */
  onExit?: OnUpstreamExit;
  /** The upstream is gone for good (`exit`): the proxy should stop, non-zero. */
  onFatal?: (error: Error) => void;
  log?: (message: string) => void;
  /** Restart delays: `initialMs` doubling up to `maxMs`; default 200 ms … 10 s. */
  backoff?: { initialMs: number; maxMs: number };
}

/** An upstream that stays up this long after a (re)start counts as healthy again. */
const HEALTHY_MS = 10_000;

/**
 * The connection to the upstream MCP server, kept up: when the upstream exits
 * on its own it is restarted with exponential backoff (or, with `exit`,
 * reported as fatal). While it is down, `client` throws ConnectionClosed, so
 * calls fail clearly (and are not charged: nothing was sent).
 */
export class UpstreamLink {
  readonly #options: UpstreamLinkOptions;
  #client: Client | undefined;
  #connectedAt = 0;
  #failures = 0;
  #closing = false;
  #timer: NodeJS.Timeout | undefined;

  private constructor(options: UpstreamLinkOptions) {
    this.#options = options;
  }

  static async open(options: UpstreamLinkOptions): Promise<UpstreamLink> {
    const link = new UpstreamLink(options);
    await link.#connect();
    return link;
  }

  get client(): Client {
    if (this.#client) return this.#client;
    throw new NotSentError(
      this.#closing ? 'upstream MCP server is closed' : 'upstream MCP server is not connected (restarting)',
    );
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    await client?.close().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const client = await connectUpstream(this.#options.spec, this.#options);
    if (this.#closing) return void (await client.close());
    client.onclose = () => this.#lost(client);
    this.#client = client;
    this.#connectedAt = Date.now();
  }

  #lost(client: Client): void {
    if (this.#closing || client !== this.#client) return;
    this.#client = undefined;
    if ((this.#options.onExit ?? 'restart') === 'exit') {
      this.#options.onFatal?.(new Error('upstream MCP server exited (--on-upstream-exit exit)'));
      return;
    }
    this.#failures = Date.now() - this.#connectedAt < HEALTHY_MS ? this.#failures + 1 : 0;
    this.#schedule();
  }

  #schedule(): void {
    const { initialMs, maxMs } = this.#options.backoff ?? { initialMs: 200, maxMs: 10_000 };
    const delay = Math.min(maxMs, initialMs * 2 ** Math.max(0, this.#failures - 1));
    this.#options.log?.(`upstream MCP server exited; restarting it in ${delay} ms`);
    this.#timer = setTimeout(() => {
      this.#connect().then(
        () => this.#options.log?.('upstream MCP server restarted'),
        () => {
          this.#failures++;
          if (!this.#closing) this.#schedule();
        },
      );
    }, delay);
    this.#timer.unref();
  }
}
