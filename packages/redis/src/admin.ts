/** The admin plane: budgets (create, change, read, list), templates, the degradation policy. */
import {
  type AmountChange,
  AUDIT_ALL_TENANTS,
  type BudgetDefinition,
  type BudgetInfo,
  type BudgetKey,
  type BudgetListFilter,
  type BudgetTemplate,
  type Caps,
  type DegradationPolicy,
  MAX_AMOUNT,
  policySchemas as P,
  parseScope,
  tenantOfScope,
  validateRequest,
} from '@governor/core';
import {
  type AuditDraft,
  askedOf,
  type BUDGET_OPERATIONS,
  budgetDraft,
  budgetInfo,
  checkCeiling,
  duplicateBudgetError,
  periodView,
} from '@governor/core/ledger';
import type { LedgerParts } from './ledger-parts.js';
import { budgetsOf, loadBudget } from './listing.js';
import { failBudgetUpdate } from './outcome-errors.js';
import { clockMs, msOf, periodArg, periodViews } from './periods.js';
import { type Snapshot, stateOf } from './records.js';
import { tenantOfBudgetScope } from './reservation-ids.js';

type Schema = Parameters<typeof validateRequest>[0];

const auditOf = (draft: AuditDraft) => ({ tenant: draft.tenant, members: draft });

export class RedisAdmin {
  constructor(readonly parts: LedgerParts) {}

  async createBudget(input: BudgetDefinition): Promise<BudgetInfo> {
    const { calls, keys, tenants } = this.parts;
    const def = validateRequest(P.budgetDefinition, input) as BudgetDefinition;
    parseScope(def.scope);
    const tenant = tenantOfScope(def.scope);
    await tenants.add(tenant);
    const clock = await calls.now();
    const out = await calls.script(
      'budget_create',
      [keys.budget(tenant, def.scope, def.unit), keys.budgetIndex(tenant)],
      [
        def.scope,
        def.unit,
        def.allocated,
        def.overdraftLimit ?? 0,
        def.caps ? JSON.stringify(def.caps) : '',
        def.isolated ? '1' : '0',
        def.rateLimits?.length ? JSON.stringify(def.rateLimits) : '',
        periodArg(def, msOf(clock)),
        clock,
      ],
      auditOf(budgetDraft('create', def.scope, askedOf(def))),
    );
    if (out.k === 'exists') throw duplicateBudgetError(def);
    return budgetInfo(stateOf(out.b as Snapshot));
  }

  fund(input: AmountChange): Promise<BudgetInfo> {
    return this.#change(P.amountChange, input, 'fund', 'fund', (c) => c.amount);
  }

  debit(input: AmountChange): Promise<BudgetInfo> {
    return this.#change(P.amountChange, input, 'debit', 'debit', (c) => c.amount);
  }

  setAllocation(input: AmountChange): Promise<BudgetInfo> {
    return this.#change(P.amountChange, input, 'setAllocation', 'allocation', (c) => c.amount);
  }

  setOverdraftLimit(input: AmountChange): Promise<BudgetInfo> {
    return this.#change(P.amountChange, input, 'setOverdraftLimit', 'overdraft', (c) => c.amount);
  }

  setCaps(input: BudgetKey & { caps?: Caps | undefined }): Promise<BudgetInfo> {
    return this.#change(P.capsChange, input, 'setCaps', 'caps', (c) =>
      c.caps ? JSON.stringify(c.caps) : '',
    );
  }

  setStatus(key: BudgetKey, status: 'FROZEN' | 'ACTIVE' | 'CLOSED'): Promise<BudgetInfo> {
    const change = status === 'FROZEN' ? 'freeze' : status === 'ACTIVE' ? 'unfreeze' : 'close';
    return this.#change(P.budgetKey, key, change, 'status', () => status);
  }

  resetSpent(key: BudgetKey): Promise<BudgetInfo> {
    return this.#change(P.budgetKey, key, 'resetSpent', 'reset', () => '');
  }

  async getBudget(input: BudgetKey): Promise<BudgetInfo | undefined> {
    const { calls, keys, sweep } = this.parts;
    const key = validateRequest(P.budgetKey, input) as BudgetKey;
    const tenant = tenantOfBudgetScope(key.scope);
    if (tenant === undefined) return undefined;
    await sweep.tenant(tenant);
    const b = await loadBudget(calls, keys.budget(tenant, key.scope, key.unit));
    return b && budgetInfo(periodView(b, await clockMs(calls)));
  }

  async listBudgets(input: BudgetListFilter = {}): Promise<BudgetInfo[]> {
    const { calls, sweep, tenants } = this.parts;
    const filter = validateRequest(P.budgetListFilter, input) as BudgetListFilter;
    const all = filter.tenant ? [filter.tenant] : await tenants.all();
    const out: BudgetInfo[] = [];
    for (const tenant of all) {
      await sweep.tenant(tenant);
      const now = await clockMs(calls);
      for (const b of periodViews(await budgetsOf(calls, tenant), now)) out.push(budgetInfo(b));
    }
    return out;
  }

  async addTemplate(input: BudgetTemplate): Promise<void> {
    const template = validateRequest(P.budgetTemplate, input) as BudgetTemplate;
    parseScope(template.match, { allowWildcard: true });
    checkCeiling(template.allocated + (template.overdraftLimit ?? 0));
    await this.#setConfig('template', JSON.stringify(template), { template });
  }

  async listTemplates(): Promise<BudgetTemplate[]> {
    return (await this.parts.config.read()).templates.map((t) => structuredClone(t.template));
  }

  async setDegradationPolicy(input: DegradationPolicy | undefined): Promise<void> {
    const policy =
      input === undefined ? undefined : (validateRequest(P.degradationPolicy, input) as DegradationPolicy);
    await this.#setConfig('degradation', policy ? JSON.stringify(policy) : '', { policy: policy ?? null });
  }

  async getDegradationPolicy(): Promise<DegradationPolicy | undefined> {
    const policy = (await this.parts.config.read()).degradation;
    return policy && structuredClone(policy);
  }

  async #setConfig(
    what: 'template' | 'degradation',
    json: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    const { calls, keys, config } = this.parts;
    const operation = what === 'template' ? 'policy.add_template' : 'policy.set_degradation';
    await calls.script('config', [keys.templates(), keys.degradation()], [what, json], {
      tenant: AUDIT_ALL_TENANTS,
      members: { tenant: AUDIT_ALL_TENANTS, operation, detail },
    });
    config.invalidate();
  }

  async #change<T extends BudgetKey>(
    schema: Schema,
    input: T,
    name: keyof typeof BUDGET_OPERATIONS,
    op: string,
    value: (change: T) => string | number,
  ): Promise<BudgetInfo> {
    const { calls, keys, sweep } = this.parts;
    const change = validateRequest(schema, input) as T;
    const tenant = tenantOfBudgetScope(change.scope);
    if (tenant === undefined) failBudgetUpdate({ k: 'notfound' }, change);
    const out = await sweep.around(tenant, async () =>
      calls.script(
        'budget_update',
        [keys.budget(tenant, change.scope, change.unit), keys.expiry(tenant)],
        [await calls.now(), op, value(change), MAX_AMOUNT],
        auditOf(budgetDraft(name, change.scope, askedOf(change))),
      ),
    );
    if (out.k !== 'ok') failBudgetUpdate(out, change);
    return budgetInfo(stateOf(out.b as Snapshot));
  }
}
