/**
 * When a denied tool call pauses for approval instead of failing: the rules
 * of `createGovernor({ approvals })` and of the policy file's `approvals:`.
 */
import { z } from 'zod';
import type { Action, ReasonCode } from '../protocol/types.js';
import { parseScope, scopeMatches } from '../scopes.js';

/** One rule; a denial is paused when any rule matches it. */
export interface ApprovalRule {
  /** The denial reasons it applies to; default `['BUDGET_EXCEEDED']`. */
  reasons?: ReasonCode[];
  /**
   * The blocking scope, as a pattern of levels: `tenant:acme/workflow:support`
   * matches that scope and every scope under it; a level's value may be `*`
   * (`tenant:*\/workflow:*\/run:*`). Default: any scope.
   */
  scope?: string;
  /** Tool names it applies to (`action.name`); default every tool. */
  tools?: string[];
}

export interface ApprovalPolicy {
  when: ApprovalRule[];
  /** How long a request waits for a decision, and an approval then stays usable; default 1 h. */
  ttlMs?: number;
}

export const DEFAULT_APPROVAL_TTL_MS = 3_600_000;

/** Reasons an operator can lift by approving (not a frozen or closed budget, nor debt). */
export const APPROVABLE_REASONS = ['BUDGET_EXCEEDED', 'RATE_LIMITED', 'LOOP_DETECTED'] as const;

export const approvalPolicy = z.strictObject({
  when: z
    .array(
      z.strictObject({
        reasons: z.array(z.enum(APPROVABLE_REASONS)).min(1).optional(),
        scope: z
          .string()
          .regex(/^tenant:[^/]+(\/[a-z_]+:[^/]+)*$/, { error: 'must be scope levels like tenant:acme/run:*' })
          .optional(),
        tools: z.array(z.string().min(1).max(256)).min(1).optional(),
      }),
    )
    .min(1),
  ttlMs: z
    .number()
    .int()
    .min(1_000)
    .max(30 * 86_400_000)
    .optional(),
});

/** The rule that pauses this denial, or undefined. */
export function approvalRuleFor(
  policy: ApprovalPolicy | undefined,
  denial: { reasonCode: ReasonCode; scope?: string | undefined; action: Action },
): ApprovalRule | undefined {
  return policy?.when.find(
    (rule) =>
      (rule.reasons ?? ['BUDGET_EXCEEDED']).includes(denial.reasonCode) &&
      (!rule.tools || rule.tools.includes(denial.action.name)) &&
      (!rule.scope || (denial.scope !== undefined && scopeUnder(rule.scope, denial.scope))),
  );
}

/** Whether `scope` is `pattern` or under it, a `*` value matching any value of its level. */
export function scopeUnder(pattern: string, scope: string): boolean {
  const levels = parseScope(pattern, { allowWildcard: true });
  return scopeMatches(levels, scope.split('/').slice(0, levels.length).join('/'));
}
