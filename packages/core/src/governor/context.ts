import { AsyncLocalStorage } from 'node:async_hooks';
import { InvalidRequestError } from '../errors.js';
import { SUBJECT_LEVELS, type Subject } from '../protocol/types.js';

/** What nested calls inherit: the acting subject and the reservation that spawned them. */
export interface GovernorContext {
  subject: Subject;
  parentReservationId?: string | undefined;
}

export const contextStorage = new AsyncLocalStorage<GovernorContext>();

/**
 * `base` with the levels of `child` added. A child adds levels and dimensions,
 * never removes or changes one: a different value at a level `base` already
 * has names someone else, not a child.
 */
export function extendSubject(base: Subject, child: Partial<Subject> | undefined): Subject {
  if (!child) return base;
  const out: Subject = { ...base };
  for (const level of SUBJECT_LEVELS) {
    const value = child[level];
    if (value === undefined) continue;
    if (base[level] !== undefined && base[level] !== value) {
      throw new InvalidRequestError([
        {
          path: `subject.${level}`,
          message: `is "${base[level]}" in this context; a child subject adds levels, never changes one`,
        },
      ]);
    }
    out[level] = value;
  }
  if (child.dimensions) out.dimensions = { ...base.dimensions, ...child.dimensions };
  return out;
}
