import { GovernorError } from '@governor/core';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { NotSentError } from '../sent.js';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Any failure behind the proxy as a clear MCP error for the downstream client:
 * the upstream's own MCP errors pass as they are; a lost upstream, an
 * unreachable authority and anything else say which part failed.
 */
export function toMcpError(error: unknown): McpError {
  if (error instanceof GovernorError) {
    return new McpError(ErrorCode.InternalError, `governor: ${error.message} (nothing was run)`);
  }
  if (error instanceof McpError) {
    if (error.code !== ErrorCode.ConnectionClosed) return error;
    return new McpError(ErrorCode.ConnectionClosed, 'upstream MCP server disconnected');
  }
  if (error instanceof NotSentError) return new McpError(ErrorCode.ConnectionClosed, error.message);
  if (messageOf(error) === 'Not connected') {
    return new McpError(ErrorCode.ConnectionClosed, 'upstream MCP server is not connected');
  }
  return new McpError(ErrorCode.InternalError, `upstream MCP server failed: ${messageOf(error)}`);
}

/** `fn`, with whatever it throws turned into an McpError. */
export async function mcpErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toMcpError(error);
  }
}
