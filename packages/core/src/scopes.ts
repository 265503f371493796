/**
 * Scope derivation. A subject's levels, in canonical order with gaps skipped,
 * give one scope per level: `tenant:acme`, `tenant:acme/workflow:support`,
 * `tenant:acme/workflow:support/run:4821`, … A call is charged to every
 * derived scope that has a budget.
 */
import { InvalidRequestError } from './errors.js';
import { NAME_PATTERN } from './protocol/schemas.js';
import { SUBJECT_LEVELS, type Subject, type SubjectLevel } from './protocol/types.js';

export type ScopeSegment = readonly [level: SubjectLevel, value: string];

const LEVEL_INDEX = new Map<string, number>(SUBJECT_LEVELS.map((l, i) => [l, i]));

/** Canonical scope ids of a subject, shallowest first. */
export function deriveScopes(subject: Partial<Record<SubjectLevel, string>>): string[] {
  const scopes: string[] = [];
  let path = '';
  for (const level of SUBJECT_LEVELS) {
    const value = subject[level];
    if (value === undefined) continue;
    path = path ? `${path}/${level}:${value}` : `${level}:${value}`;
    scopes.push(path);
  }
  return scopes;
}

/** The canonical scope path of a subject: its deepest derived scope. */
export function scopePathOf(subject: Subject): string {
  const scopes = deriveScopes(subject);
  return scopes[scopes.length - 1] ?? '';
}

/**
 * Parse a canonical scope id (`tenant:acme/workflow:support`). With
 * `allowWildcard`, a value may be `*` (used by budget templates).
 */
export function parseScope(scope: string, options: { allowWildcard?: boolean } = {}): ScopeSegment[] {
  const fail = (message: string): never => {
    throw new InvalidRequestError([{ path: 'scope', message: `${message} (in "${scope}")` }]);
  };
  if (typeof scope !== 'string' || scope.length === 0) fail('must be a non-empty scope id');
  const segments: ScopeSegment[] = [];
  let last = -1;
  for (const part of scope.split('/')) {
    const colon = part.indexOf(':');
    const level = part.slice(0, colon);
    const value = part.slice(colon + 1);
    const index = LEVEL_INDEX.get(level);
    if (colon < 0 || index === undefined)
      fail(`"${part}" must be <level>:<value> with level one of ${SUBJECT_LEVELS.join(', ')}`);
    if ((index as number) <= last)
      fail(`level "${level}" is out of canonical order ${SUBJECT_LEVELS.join(' → ')}`);
    const wildcard = options.allowWildcard && value === '*';
    if (!wildcard && (!NAME_PATTERN.test(value) || value.length > 128)) {
      fail(`value "${value}" must match ^[a-zA-Z0-9_.-]+$ and be at most 128 characters`);
    }
    last = index as number;
    segments.push([level as SubjectLevel, value]);
  }
  if (segments[0]?.[0] !== 'tenant') fail('must start with tenant:<id>');
  return segments;
}

/** The subject whose scope path is `scope`. */
export function subjectOfScope(scope: string): Subject {
  const subject: Partial<Record<SubjectLevel, string>> = {};
  for (const [level, value] of parseScope(scope)) subject[level] = value;
  return subject as Subject;
}

/** The tenant id of a canonical scope id (the value of its first segment). */
export function tenantOfScope(scope: string): string {
  const end = scope.indexOf('/');
  return scope.slice('tenant:'.length, end < 0 ? undefined : end);
}

/**
 * Does `scope` match `pattern`? Both have the same levels in the same order;
 * each pattern value is either equal or `*`.
 */
export function scopeMatches(pattern: readonly ScopeSegment[], scope: string): boolean {
  const parts = scope.split('/');
  if (parts.length !== pattern.length) return false;
  for (let i = 0; i < parts.length; i++) {
    const [level, value] = pattern[i] as ScopeSegment;
    const part = parts[i] as string;
    const colon = part.indexOf(':');
    if (part.slice(0, colon) !== level) return false;
    if (value !== '*' && part.slice(colon + 1) !== value) return false;
  }
  return true;
}
