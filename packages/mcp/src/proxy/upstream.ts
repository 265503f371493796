import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';

/**
 * An upstream MCP server: a command to start (stdio), or the URL of a
 * Streamable HTTP endpoint. A command gets the proxy's whole environment,
 * with `env` over it.
 */
export type UpstreamSpec =
  | { command: string; args?: string[]; env?: Record<string, string>; cwd?: string }
  | { url: string | URL };

export interface ConnectOptions {
  /** What the proxy tells the upstream it can do (the host's sampling, elicitation, roots). */
  capabilities?: ClientCapabilities;
  /** Called before `connect`, to install handlers the capabilities need. */
  prepare?: (client: Client) => void;
}

/** The proxy's environment with `extra` over it (unset variables dropped). */
export function upstreamEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return { ...env, ...extra };
}

/** Start or reach the upstream and connect an SDK client to it. */
export async function connectUpstream(spec: UpstreamSpec, options: ConnectOptions = {}): Promise<Client> {
  const client = new Client(
    { name: 'governor-mcp-proxy', version: '0.1.0' },
    { capabilities: options.capabilities ?? {} },
  );
  options.prepare?.(client);
  const transport =
    'url' in spec
      ? new StreamableHTTPClientTransport(new URL(spec.url))
      : new StdioClientTransport({
          command: spec.command,
          args: spec.args ?? [],
          env: upstreamEnv(spec.env),
          ...(spec.cwd ? { cwd: spec.cwd } : {}),
          stderr: 'inherit',
        });
  await client.connect(transport);
  return client;
}
