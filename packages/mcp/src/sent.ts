import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

/** JSON-RPC errors with which a server refuses a request without running it. */
const REFUSED: ReadonlySet<number> = new Set([
  ErrorCode.ParseError,
  ErrorCode.InvalidRequest,
  ErrorCode.MethodNotFound,
  ErrorCode.InvalidParams,
]);

/** The SDK client's own checks of a result that came back: the tool ran. */
const RESULT_CHECK = /structured content/i;

/** A request that never left the proxy (e.g. the upstream is down): nothing to charge. */
export class NotSentError extends Error {
  override name = 'NotSentError';
}

/**
 * Whether a failed tool call may have run: everything the client sent counts
 * (a timeout, a cancellation, a lost connection, a server error, a result the
 * client rejected), except what never left the client (`Not connected`) and a
 * server's answer that it did not run the call (e.g. MethodNotFound,
 * InvalidParams, before execution).
 */
export function mayHaveRun(error: unknown): boolean {
  if (error instanceof McpError) return !REFUSED.has(error.code) || RESULT_CHECK.test(error.message);
  if (error instanceof NotSentError) return false;
  return !(error instanceof Error && error.message === 'Not connected');
}
