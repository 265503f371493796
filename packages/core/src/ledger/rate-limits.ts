/**
 * Rate limits and the loop breaker as rules over sliding-window logs, shared
 * by every ledger that keeps its state in JavaScript (RedisAuthority keeps the
 * same rules in reserve.lua). Both are checked after the budget denials and
 * recorded only when the reserve is allowed, atomically with it.
 *
 * - A budget's `rateLimits` count the reservations that charge it: a log of
 *   (time, estimate, action) per budget, pruned to its longest window.
 * - The loop breaker counts identical tool calls — same run, action and
 *   arguments hash — that the request names in its metadata (`governor.loop`,
 *   set by the adapters' tool guard): the `threshold`-th one within
 *   `windowMs` is a DENY with LOOP_DETECTED (no retryAfterMs: a loop is not a
 *   wait, the model should stop).
 */
import type { RateLimit } from '../authority.js';
import { InvalidRequestError } from '../errors.js';
import type { Action, Metadata, Subject } from '../protocol/types.js';
import { deriveScopes } from '../scopes.js';
import type { BudgetState } from './rules.js';

/** The metadata key of a reserve that asks for the loop breaker. */
export const LOOP_METADATA_KEY = 'governor.loop';

/** What a reserve asks of the loop breaker: its arguments' hash and the breaker's settings. */
export interface LoopGuard {
  /** A stable hash of the tool's arguments (sha256 of their canonical JSON; see `argsHash`). */
  argsHash: string;
  /** The `threshold`-th identical call within the window is denied (≥ 2). */
  threshold: number;
  windowMs: number;
}

/** One allowed reservation in a window log. */
export interface WindowEntry {
  at: number;
  amount: number;
  kind: string;
  name: string;
}

/** Where a ledger keeps its window logs (oldest first). */
export interface WindowLogs {
  /** The entries of `key` after `since` (older ones may be pruned). */
  entries(key: string, since: number): readonly WindowEntry[];
  /** Append `entry`; the log need not keep it longer than `keepMs`. */
  add(key: string, entry: WindowEntry, keepMs: number): void;
}

export interface RateDenial {
  reasonCode: 'RATE_LIMITED' | 'LOOP_DETECTED';
  scope: string;
  retryAfterMs?: number;
}

export const rateLogKey = (b: Pick<BudgetState, 'scope' | 'unit'>) => `${b.scope}\u0000${b.unit}`;

/** The scope a loop is counted in: the subject's run, else its deepest scope. */
export function loopScopeOf(subject: Subject): string {
  const scopes = deriveScopes(subject);
  return scopes.find((s) => /(^|\/)run:[^/]*$/.test(s)) ?? (scopes[scopes.length - 1] as string);
}

export const loopLogKey = (scope: string, action: Action, guard: LoopGuard) =>
  `${scope}\u0000${action.kind}\u0000${action.name}\u0000${guard.argsHash}`;

/** The loop guard a request's metadata asks for; INVALID_REQUEST when it is malformed. */
export function loopGuardOf(metadata: Metadata | undefined): LoopGuard | undefined {
  const raw = metadata?.[LOOP_METADATA_KEY];
  if (raw === undefined) return undefined;
  const g = raw as Partial<LoopGuard> | null;
  const ok =
    g !== null &&
    typeof g === 'object' &&
    typeof g.argsHash === 'string' &&
    /^[0-9a-f]{8,128}$/.test(g.argsHash) &&
    Number.isSafeInteger(g.threshold) &&
    (g.threshold as number) >= 2 &&
    Number.isSafeInteger(g.windowMs) &&
    (g.windowMs as number) >= 1 &&
    (g.windowMs as number) <= 86_400_000;
  if (!ok) {
    throw new InvalidRequestError([
      {
        path: `metadata.${LOOP_METADATA_KEY}`,
        message: 'must be { argsHash: hex, threshold: integer ≥ 2, windowMs: 1 … 86,400,000 }',
      },
    ]);
  }
  return { argsHash: g.argsHash as string, threshold: g.threshold as number, windowMs: g.windowMs as number };
}

const matches = (limit: RateLimit, e: Pick<WindowEntry, 'kind' | 'name'>) =>
  (limit.action === undefined || limit.action === e.name) &&
  (limit.kind === undefined || limit.kind === e.kind);

/**
 * How long until a call of `amount` fits `limit`, given the matching entries
 * within its window (oldest first); undefined when it fits now.
 */
export function rateRetryAfter(
  limit: RateLimit,
  log: readonly WindowEntry[],
  amount: number,
  now: number,
): number | undefined {
  let wait = 0;
  const freeAt = (e: WindowEntry) => e.at + limit.windowMs - now;
  if (limit.maxCalls !== undefined && log.length >= limit.maxCalls) {
    wait = freeAt(log[log.length - limit.maxCalls] as WindowEntry);
  }
  const max = limit.maxAmount;
  if (max !== undefined && amount > max) return limit.windowMs; // never fits one window: a window from now
  if (max !== undefined) {
    let sum = log.reduce((n, e) => n + e.amount, 0);
    for (let i = 0; sum + amount > max; i++) {
      const e = log[i] as WindowEntry;
      sum -= e.amount;
      wait = Math.max(wait, freeAt(e));
    }
  }
  return wait > 0 ? wait : undefined;
}

export interface RateRequest {
  subject: Subject;
  action: Action;
  amount: number;
  loop: LoopGuard | undefined;
}

/** RATE_LIMITED (first budget, shallowest first, first limit) or LOOP_DETECTED, or undefined. */
export function rateDenialOf(
  logs: WindowLogs,
  budgets: readonly BudgetState[],
  req: RateRequest,
  now: number,
): RateDenial | undefined {
  for (const b of budgets) {
    for (const limit of b.rateLimits ?? []) {
      if (!matches(limit, req.action)) continue;
      const log = logs.entries(rateLogKey(b), now - limit.windowMs).filter((e) => matches(limit, e));
      const retryAfterMs = rateRetryAfter(limit, log, req.amount, now);
      if (retryAfterMs !== undefined) return { reasonCode: 'RATE_LIMITED', scope: b.scope, retryAfterMs };
    }
  }
  if (req.loop) {
    const scope = loopScopeOf(req.subject);
    const seen = logs.entries(loopLogKey(scope, req.action, req.loop), now - req.loop.windowMs);
    if (seen.length + 1 >= req.loop.threshold) return { reasonCode: 'LOOP_DETECTED', scope };
  }
  return undefined;
}

/** Count an allowed reservation in every window it is subject to. */
export function recordRate(logs: WindowLogs, budgets: readonly BudgetState[], req: RateRequest, now: number) {
  const entry: WindowEntry = { at: now, amount: req.amount, kind: req.action.kind, name: req.action.name };
  for (const b of budgets) {
    if (!b.rateLimits?.length) continue;
    logs.add(rateLogKey(b), entry, Math.max(...b.rateLimits.map((l) => l.windowMs)));
  }
  if (req.loop)
    logs.add(loopLogKey(loopScopeOf(req.subject), req.action, req.loop), entry, req.loop.windowMs);
}
