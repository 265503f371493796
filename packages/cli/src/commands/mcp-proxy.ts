import type { Io } from '../io.js';

/**
 * Hand over to @governor/mcp's proxy (its help text, flags and exit codes:
 * 2 wrong usage, 1 failed); resolves when the proxy stops.
 */
export async function mcpProxyCommand(argv: string[], io: Io): Promise<number> {
  const { runProxy } = await import('@governor/mcp');
  return runProxy(argv, { name: 'governor mcp-proxy', out: io.out, err: io.err });
}
