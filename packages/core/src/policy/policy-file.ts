import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { BudgetDefinition, BudgetTemplate, DegradationPolicy, LedgerAdmin } from '../authority.js';
import { InvalidRequestError } from '../errors.js';
import { validate } from '../protocol/validate.js';
import type { RiskPointTable } from './risk-points.js';
import { policyFile } from './schemas.js';

/** Budgets, templates, degradation tiers and risk points, as code or as a JSON/YAML file. */
export interface GovernorPolicy {
  budgets?: BudgetDefinition[];
  templates?: BudgetTemplate[];
  degradation?: DegradationPolicy;
  riskPoints?: RiskPointTable;
}

/** Validate a policy object (for example parsed from a file). Dollar strings become USD_MICROCENTS. */
export function parsePolicy(input: unknown): GovernorPolicy {
  return validate(policyFile, input) as GovernorPolicy;
}

/** Read a policy from a `.json`, `.yaml` or `.yml` file. */
export async function loadPolicyFile(path: string): Promise<GovernorPolicy> {
  const text = await readFile(path, 'utf8');
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError(
      `${path}: not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(error as Error).message}`,
    );
  }
  try {
    return parsePolicy(data);
  } catch (error) {
    if (error instanceof InvalidRequestError) {
      throw new InvalidRequestError(
        error.issues.map((i) => ({ path: `${path}: ${i.path}`, message: i.message })),
      );
    }
    throw error;
  }
}

/**
 * Provision a ledger from a policy: creates every budget that does not exist
 * yet (existing budgets are left as they are), adds the templates, sets the
 * degradation policy. Risk points are for adapters and are not stored.
 */
export async function applyPolicy(admin: LedgerAdmin, policy: GovernorPolicy): Promise<void> {
  for (const budget of policy.budgets ?? []) {
    if (!(await admin.getBudget({ scope: budget.scope, unit: budget.unit })))
      await admin.createBudget(budget);
  }
  for (const template of policy.templates ?? []) await admin.addTemplate(template);
  if (policy.degradation) await admin.setDegradationPolicy(policy.degradation);
}
