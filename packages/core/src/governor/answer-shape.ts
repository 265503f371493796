/**
 * What counts as a settlement's success answer. A 2xx body of another shape
 * may or may not have been applied, so it is retried with the same key, never
 * taken as done.
 */
import { z } from 'zod';
import { amount as amountSchema } from '../protocol/schemas.js';
import { isPlainAmount, isPlainObject } from './plain-shapes.js';
import { markAmbiguous } from './retry.js';

/**
 * A 2xx answer that is not the protocol's success shape: the settlement may or
 * may not have happened, so it is retried with the same key, never taken as done.
 */
export class AmbiguousResponseError extends Error {
  constructor(operation: string, response: unknown) {
    super(
      `${operation}: the authority answered with a body that is not a valid ${operation} response: ${safeJson(response)}`,
    );
    this.name = 'AmbiguousResponseError';
    markAmbiguous(this);
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export const commitShape = z.looseObject({ status: z.literal('COMMITTED'), charged: amountSchema });
export const eventShape = z.looseObject({ status: z.literal('APPLIED'), eventId: z.string().min(1) });

export async function checked<T>(operation: string, shape: z.ZodType, response: Promise<T>): Promise<T> {
  const body = await response;
  if (!shape.safeParse(body).success) throw new AmbiguousResponseError(operation, body);
  return body;
}

/** `response`, checked as a commit's success shape: the usual answer without zod, anything else with it. */
export function checkedCommit<T>(response: Promise<T>): Promise<T> {
  return response.then((body) =>
    isPlainCommit(body) ? body : checked('commit', commitShape, Promise.resolve(body)),
  );
}

/** A body `commitShape` certainly accepts: COMMITTED with a plain charged amount. */
const isPlainCommit = (body: unknown): boolean =>
  isPlainObject(body) && body.status === 'COMMITTED' && isPlainAmount(body.charged);
