import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { ToolInfo } from './options.js';

/**
 * What the wrapper knows of the server's tools (their annotations), learnt
 * from every `listTools` page that passes through and, for a tool not seen
 * yet, from one full listing.
 */
export class ToolCatalog {
  readonly #tools = new Map<string, ToolInfo>();
  readonly #list: Client['listTools'];

  constructor(list: Client['listTools']) {
    this.#list = list;
  }

  learn(tools: readonly ToolInfo[]): void {
    for (const t of tools) this.#tools.set(t.name, { name: t.name, annotations: t.annotations });
  }

  /** The tool, listing the server again once if it is not known yet; undefined if the server has no such tool. */
  async lookup(
    name: string,
    options?: RequestOptions,
  ): Promise<{ annotations?: ToolAnnotations } | undefined> {
    if (!this.#tools.has(name)) await this.refresh(options);
    return this.#tools.get(name);
  }

  async refresh(options?: RequestOptions): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.#list(cursor ? { cursor } : undefined, options);
      this.learn(page.tools);
      cursor = page.nextCursor;
    } while (cursor);
  }
}
