/**
 * Budget templates, shared by every ledger: a validated template with its
 * parsed pattern, and the budget the first matching template gives a scope.
 */
import type { BudgetTemplate } from '../authority.js';
import * as P from '../policy/schemas.js';
import type { Unit } from '../protocol/types.js';
import { validateRequest } from '../protocol/validate.js';
import { parseScope, type ScopeSegment, scopeMatches } from '../scopes.js';
import { checkCeiling, newBudget } from './budgets.js';
import type { BudgetState } from './rules.js';

export interface CompiledTemplate {
  template: BudgetTemplate;
  pattern: ScopeSegment[];
}

/** Validate a template (pattern, amounts, ceiling) and parse its pattern. */
export function compileTemplate(input: BudgetTemplate): CompiledTemplate {
  const template = validateRequest(P.budgetTemplate, input) as BudgetTemplate;
  const pattern = parseScope(template.match, { allowWildcard: true });
  checkCeiling(template.allocated + (template.overdraftLimit ?? 0));
  return { template, pattern };
}

/** A fresh budget from the first template matching (scope, unit), if any, made at `now`. */
export function budgetFromTemplates(
  templates: readonly CompiledTemplate[],
  scope: string,
  unit: Unit,
  now = 0,
): BudgetState | undefined {
  for (const { template, pattern } of templates) {
    if (template.unit === unit && scopeMatches(pattern, scope)) return newBudget({ ...template, scope }, now);
  }
  return undefined;
}
