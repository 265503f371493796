import { parseProxyArgs, runProxy } from '@governor/mcp';
import type { Io } from '../io.js';

export const MCP_PROXY_HELP = `Usage: governor mcp-proxy [options] -- <upstream command>

An enforcing MCP proxy: every tools/call of an upstream MCP server is reserved,
capped, committed or denied by Governor. Provided by @governor/mcp (the same as
its \`governor-mcp-proxy\` binary); see packages/mcp/README.md for its options.
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
