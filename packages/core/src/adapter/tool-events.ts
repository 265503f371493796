/**
 * A tool call seen as start and end events (a framework's callbacks) rather
 * than as a function to wrap, guarded exactly like `governToolCall`.
 */
import { governToolCall, type ToolCall, type ToolGuardOptions } from './tool-call.js';

/**
 * Resolves once the call may run, with `end(error?)` that settles it — a call
 * that started is charged even when it ends with an error. Rejects with
 * BudgetDeniedError when it may not run (caps, spent budget, invalid points).
 */
export async function startToolCall(
  options: ToolGuardOptions,
  call: ToolCall,
): Promise<(error?: unknown) => Promise<void>> {
  let started!: () => void;
  let finish!: (error: unknown) => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const ended = new Promise<unknown>((resolve) => (finish = resolve));
  const guarded = governToolCall(options, call, async () => {
    started();
    const error = await ended;
    if (error !== undefined) throw error;
  });
  const settled = guarded.then(
    () => undefined,
    () => undefined, // the tool's own error is the framework's to report
  );
  await Promise.race([running, guarded]);
  return (error) => {
    finish(error);
    return settled;
  };
}
