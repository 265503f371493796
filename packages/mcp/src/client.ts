import { checkAdapterOptions } from '@governor/core';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { governedCallTool } from './call.js';
import { allowedTools, currentCaps } from './caps.js';
import { ToolCatalog } from './catalog.js';
import { clientOptionsSchema, type GovernClientOptions } from './options.js';

/** `listTools` that teaches `catalog` the tools' annotations and hides the tools the current caps deny. */
export function governedListTools(
  list: Client['listTools'],
  catalog: ToolCatalog,
  options: GovernClientOptions,
): Client['listTools'] {
  return async (params, requestOptions) => {
    const page = await list(params, requestOptions);
    catalog.learn(page.tools);
    if (options.hideDeniedTools === false) return page;
    return { ...page, tools: allowedTools(page.tools, await currentCaps(options)) };
  };
}

/**
 * `client` with every `callTool` governed (see `governedCallTool`) and
 * `listTools` hiding the tools the current caps deny. Everything else is the
 * client itself, so the result goes wherever an SDK `Client` goes (e.g.
 * `loadMcpTools` of `@langchain/mcp-adapters`).
 */
export function governClient<C extends Client>(client: C, options: GovernClientOptions): C {
  checkAdapterOptions(options, 'governClient', clientOptionsSchema);
  const list: Client['listTools'] = (params, requestOptions) => client.listTools(params, requestOptions);
  const catalog = new ToolCatalog(list);
  const callTool = governedCallTool((...args) => client.callTool(...args), catalog, options);
  const listTools = governedListTools(list, catalog, options);
  return new Proxy(client, {
    get(target, property) {
      if (property === 'callTool') return callTool;
      if (property === 'listTools') return listTools;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
