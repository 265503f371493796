import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** An upstream MCP server: a command to start (stdio), or the URL of a Streamable HTTP endpoint. */
export type UpstreamSpec =
  | { command: string; args?: string[]; env?: Record<string, string>; cwd?: string }
  | { url: string | URL };

/** Start or reach the upstream and connect an SDK client to it. */
export async function connectUpstream(spec: UpstreamSpec): Promise<Client> {
  const client = new Client({ name: 'governor-mcp-proxy', version: '0.1.0' });
  const transport =
    'url' in spec
      ? new StreamableHTTPClientTransport(new URL(spec.url))
      : new StdioClientTransport({
          command: spec.command,
          args: spec.args ?? [],
          ...(spec.env ? { env: { ...process.env, ...spec.env } as Record<string, string> } : {}),
          ...(spec.cwd ? { cwd: spec.cwd } : {}),
          stderr: 'inherit',
        });
  await client.connect(transport);
  return client;
}
