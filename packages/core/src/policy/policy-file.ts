import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type {
  BudgetDefinition,
  BudgetKey,
  BudgetTemplate,
  DegradationPolicy,
  LedgerAdmin,
} from '../authority.js';
import { InvalidRequestError } from '../errors.js';
import { validate } from '../protocol/validate.js';
import type { ApprovalPolicy } from './approvals.js';
import type { LoopBreakerPolicy } from './loop-breaker.js';
import type { RiskPointTable } from './risk-points.js';
import { policyFile } from './schemas.js';

/** Budgets, templates, degradation tiers and risk points, as code or as a JSON/YAML file. */
export interface GovernorPolicy {
  budgets?: BudgetDefinition[];
  templates?: BudgetTemplate[];
  degradation?: DegradationPolicy;
  riskPoints?: RiskPointTable;
  /** The loop breaker for tools with risk points (`createGovernor({ loopBreaker })`); `false` turns it off. */
  loopBreaker?: LoopBreakerPolicy | false;
  /** Which denied tool calls pause for approval instead of failing (`createGovernor({ approvals })`). */
  approvals?: ApprovalPolicy;
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

/** What `applyPolicy` did: the same policy applied twice does nothing the second time. */
export interface PolicyApplied {
  /** Budgets the ledger did not have, now created. */
  created: BudgetKey[];
  /** Budgets the ledger already had: left as they are (never re-funded), whatever they have spent. */
  existing: Array<BudgetKey & { allocated: number; policyAllocated: number }>;
  /** Templates added, and templates the ledger already had (compared by value), not added again. */
  templatesAdded: BudgetTemplate[];
  templatesExisting: BudgetTemplate[];
  degradation: 'set' | 'unchanged' | 'none';
}

/**
 * Provision a ledger from a policy, idempotently: creates every budget that
 * does not exist yet (existing budgets are left as they are, spent or not),
 * adds the templates the ledger does not already have (by value), sets the
 * degradation policy when it differs. Risk points are for adapters and are
 * not stored. Applying the same policy twice leaves the ledger as once.
 */
export async function applyPolicy(admin: LedgerAdmin, policy: GovernorPolicy): Promise<PolicyApplied> {
  const applied: PolicyApplied = {
    created: [],
    existing: [],
    templatesAdded: [],
    templatesExisting: [],
    degradation: 'none',
  };
  for (const budget of policy.budgets ?? []) {
    const key = { scope: budget.scope, unit: budget.unit };
    const found = await admin.getBudget(key);
    if (found) {
      applied.existing.push({ ...key, allocated: found.allocated, policyAllocated: budget.allocated });
    } else {
      await admin.createBudget(budget);
      applied.created.push(key);
    }
  }
  const known = (await admin.listTemplates()).map(canonical);
  for (const template of policy.templates ?? []) {
    const value = canonical(template);
    if (known.includes(value)) {
      applied.templatesExisting.push(template);
    } else {
      await admin.addTemplate(template);
      known.push(value);
      applied.templatesAdded.push(template);
    }
  }
  if (policy.degradation) {
    const current = await admin.getDegradationPolicy();
    if (current !== undefined && canonical(current) === canonical(policy.degradation)) {
      applied.degradation = 'unchanged';
    } else {
      await admin.setDegradationPolicy(policy.degradation);
      applied.degradation = 'set';
    }
  }
  return applied;
}

/** JSON with sorted keys and without undefined fields or zero overdraft limits: equal values, equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([k, x]) => x !== undefined && !(k === 'overdraftLimit' && x === 0))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries);
  });
}
