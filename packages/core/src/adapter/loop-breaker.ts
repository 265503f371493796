/**
 * The tool guard's side of the loop breaker: a stable hash of a call's
 * arguments and the reserve metadata that asks the ledger to count it (see
 * ledger/rate-limits.ts).
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';
import type { Governor } from '../governor/governor.js';
import { LOOP_METADATA_KEY } from '../ledger/rate-limits.js';
import type { LoopBreakerPolicy } from '../policy/loop-breaker.js';
import type { Metadata } from '../protocol/types.js';

/** sha256 of the arguments' canonical JSON (keys sorted), hex; undefined for arguments JSON cannot hold. */
export function argsHash(args: unknown): string | undefined {
  try {
    return createHash('sha256').update(canonicalJson(args)).digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * The metadata of a tool call's reserve under the loop breaker: the adapter's
 * `loopBreaker` option, else the governor's (`false` turns it off).
 */
export function loopBreakerMetadata(
  governor: Governor,
  option: LoopBreakerPolicy | false | undefined,
  args: unknown,
): Metadata | undefined {
  const policy = option ?? governor.loopBreaker;
  if (!policy) return undefined;
  const hash = argsHash(args);
  if (hash === undefined) return undefined;
  return { [LOOP_METADATA_KEY]: { argsHash: hash, threshold: policy.threshold, windowMs: policy.windowMs } };
}
