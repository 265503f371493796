import { parseProxyArgs, runProxy } from '@governor/mcp';
import type { Io } from '../io.js';

export const MCP_PROXY_HELP = `Usage: governor mcp-proxy [options] -- <upstream command>
       governor mcp-proxy [options] --url <upstream Streamable HTTP URL>

An enforcing MCP proxy: every tools/call of an upstream MCP server is reserved,
capped, committed or denied by Governor. Provided by @governor/mcp (the same as
its \`governor-mcp-proxy\` binary); see packages/mcp/README.md.

Options:
  --tenant, --workflow, --agent   the subject (or GOVERNOR_TENANT, …)
  --budgets <file>                budgets, templates and risk points (JSON/YAML)
  --run <id>                      the run id (default: one per session)
  --url <url>                     reach the upstream over Streamable HTTP instead of a command
  --http <port>                   serve Streamable HTTP on 127.0.0.1:<port>/mcp instead of stdio
  --host <host>                   with --http: the address to bind (default 127.0.0.1)
`;

/** Hand over to @governor/mcp's proxy (stdio, until the host closes the session). Bad flags: exit 2. */
export async function mcpProxyCommand(argv: string[], io: Io): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(MCP_PROXY_HELP);
    return 0;
  }
  try {
    parseProxyArgs(argv);
  } catch (error) {
    io.err(`governor mcp-proxy: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  await runProxy(argv);
  return 0;
}
