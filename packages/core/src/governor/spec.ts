import { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import { action, amount, idempotencyKey } from '../protocol/schemas.js';
import type { Action, Amount, Caps, Metadata, OveragePolicy, Subject } from '../protocol/types.js';
import { OVERAGE_POLICIES } from '../protocol/types.js';
import { validate } from '../protocol/validate.js';
import { isPlainSpec } from './plain-shapes.js';

export interface CallSpec {
  action: Action;
  estimate: Amount;
  /** Levels added to the current subject for this call. */
  subject?: Partial<Subject>;
  /** The key of this logical attempt; reuse it for every retry of the same attempt. */
  idempotencyKey?: string;
  ttlMs?: number;
  overagePolicy?: OveragePolicy;
  metadata?: Metadata;
  /** Aborts the reservation (and, in `run`, is the caller's to pass on to the work). */
  signal?: AbortSignal;
  /**
   * What the call would cost under `caps` (e.g. on the cheaper model, with
   * the capped output): when the full estimate is denied for budget and the
   * policy's caps would apply, the call is reserved at this instead — it is
   * denied only when even the capped call does not fit.
   */
  estimateUnderCaps?: (caps: Caps) => Amount | undefined;
}

export const callSpec = z.looseObject({
  action,
  estimate: amount,
  subject: z.record(z.string(), z.unknown()).optional(),
  idempotencyKey: idempotencyKey.optional(),
  ttlMs: z.number().int().min(1).optional(),
  overagePolicy: z.enum(OVERAGE_POLICIES).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  signal: z.instanceof(AbortSignal).optional(),
  estimateUnderCaps: z
    .custom<(caps: Caps) => unknown>((v) => typeof v === 'function', { error: 'must be a function' })
    .optional(),
});

/**
 * A call spec checked before anything touches it: an InvalidRequestError that
 * names the field, never a TypeError from deep inside. The subject and
 * metadata are checked in full by the authority.
 */
export function checkSpec<S extends Partial<CallSpec>>(spec: S, path = 'spec'): S {
  if (spec === null || typeof spec !== 'object') {
    throw new InvalidRequestError([
      {
        path,
        message: `must be an object with action and estimate, got ${spec === null ? 'null' : typeof spec}`,
      },
    ]);
  }
  if (!isPlainSpec(spec)) validate(callSpec, spec, [path]); // zod only for what the plain check cannot vouch for
  return spec;
}
