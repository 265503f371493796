/**
 * The provisioning plane of the SQLite ledger: budgets, templates and the
 * degradation policy, with core's shared rules (BUDGET_CHANGES, templates),
 * each call in one transaction.
 */
import {
  type AmountChange,
  AUDIT_ALL_TENANTS,
  type BudgetDefinition,
  type BudgetInfo,
  type BudgetKey,
  type BudgetListFilter,
  type BudgetSchedule,
  type BudgetTemplate,
  type Caps,
  type DegradationPolicy,
  InvalidRequestError,
  type LedgerAdmin,
  policySchemas,
  validateRequest,
} from '@governor/core';
import {
  type AuditDraft,
  askedOf,
  BUDGET_CHANGES,
  type BudgetChange,
  type BudgetChangeName,
  BudgetTouches,
  budgetDraft,
  budgetInfo,
  budgetNotFoundError,
  compileTemplate,
  duplicateBudgetError,
  entryOf,
  newBudget,
  validateDefinition,
} from '@governor/core/ledger';
import type { LedgerStore } from './ledger-store.js';

/** Budget periods are not stored by this ledger yet: a clear refusal rather than a budget that never resets. */
function refusePeriod(schedule: BudgetSchedule): void {
  if (schedule.period) {
    throw new InvalidRequestError([
      {
        path: 'period',
        message: 'SqliteAuthority does not support budget periods; use MemoryAuthority or RedisAuthority',
      },
    ]);
  }
}

export abstract class SqliteBudgetAdmin implements Omit<LedgerAdmin, 'sweepExpired' | 'close'> {
  protected constructor(protected readonly store: LedgerStore) {}

  /** Expire the reservations due at `now` and prune what is past retention; returns how many expired. */
  protected abstract settleDue(now: number): number;

  /** Record `draft`, made at `now`, with the budgets `touches` saw (in the current transaction). */
  protected recordAudit(draft: AuditDraft, now: number, touches?: BudgetTouches): void {
    this.store.audit?.append(entryOf(draft, now, touches));
  }

  /** Run `fn` in one transaction at the ledger's time, after expiring what is due. */
  protected write<T>(fn: (now: number) => T): T {
    return this.store.write((now) => this.settleDue(now), fn);
  }

  async createBudget(input: BudgetDefinition): Promise<BudgetInfo> {
    const def = validateDefinition(input);
    refusePeriod(def);
    return this.write((now) => {
      if (this.store.budgets.find(def.scope, def.unit)) throw duplicateBudgetError(def);
      const budget = newBudget(def);
      this.store.budgets.insert(budget);
      const touches = new BudgetTouches();
      touches.touch(budget, true);
      this.recordAudit(budgetDraft('create', def.scope, askedOf(def)), now, touches);
      return budgetInfo(budget);
    });
  }

  async fund(input: AmountChange): Promise<BudgetInfo> {
    return this.change('fund', input);
  }

  async debit(input: AmountChange): Promise<BudgetInfo> {
    return this.change('debit', input);
  }

  async setAllocation(input: AmountChange): Promise<BudgetInfo> {
    return this.change('setAllocation', input);
  }

  async setOverdraftLimit(input: AmountChange): Promise<BudgetInfo> {
    return this.change('setOverdraftLimit', input);
  }

  async setCaps(input: BudgetKey & { caps?: Caps | undefined }): Promise<BudgetInfo> {
    return this.change('setCaps', input);
  }

  async freeze(key: BudgetKey): Promise<BudgetInfo> {
    return this.change('freeze', key);
  }

  async unfreeze(key: BudgetKey): Promise<BudgetInfo> {
    return this.change('unfreeze', key);
  }

  async resetSpent(key: BudgetKey): Promise<BudgetInfo> {
    return this.change('resetSpent', key);
  }

  async getBudget(input: BudgetKey): Promise<BudgetInfo | undefined> {
    const key = validateRequest(policySchemas.budgetKey, input) as BudgetKey;
    return this.write(() => {
      const b = this.store.budgets.find(key.scope, key.unit);
      return b ? budgetInfo(b) : undefined;
    });
  }

  async listBudgets(input: BudgetListFilter = {}): Promise<BudgetInfo[]> {
    const filter = validateRequest(policySchemas.budgetListFilter, input) as BudgetListFilter;
    return this.write(() => this.store.budgets.list(filter.tenant || undefined).map(budgetInfo));
  }

  async addTemplate(input: BudgetTemplate): Promise<void> {
    const { template } = compileTemplate(input);
    refusePeriod(template);
    this.write((now) => {
      this.store.config.addTemplate(template);
      const detail = { template: structuredClone(template) };
      this.recordAudit({ operation: 'policy.add_template', tenant: AUDIT_ALL_TENANTS, detail }, now);
    });
  }

  async listTemplates(): Promise<BudgetTemplate[]> {
    return this.write(() => this.store.config.read().templates.map((t) => structuredClone(t.template)));
  }

  async setDegradationPolicy(input: DegradationPolicy | undefined): Promise<void> {
    const policy =
      input === undefined
        ? undefined
        : (validateRequest(policySchemas.degradationPolicy, input) as DegradationPolicy);
    this.write((now) => {
      this.store.config.setDegradation(policy);
      const detail = { policy: policy ? structuredClone(policy) : null };
      this.recordAudit({ operation: 'policy.set_degradation', tenant: AUDIT_ALL_TENANTS, detail }, now);
    });
  }

  async getDegradationPolicy(): Promise<DegradationPolicy | undefined> {
    return this.write(() => structuredClone(this.store.config.read().degradation));
  }

  /** One provisioning change (core's BUDGET_CHANGES) to a stored budget. */
  protected async change(name: BudgetChangeName, input: BudgetKey): Promise<BudgetInfo> {
    const rule = BUDGET_CHANGES[name] as BudgetChange<BudgetKey>;
    const change = validateRequest(rule.schema, input) as BudgetKey;
    return this.write((now) => {
      const b = this.store.budgets.find(change.scope, change.unit);
      if (!b) throw budgetNotFoundError(change);
      const touches = new BudgetTouches();
      touches.touch(b);
      rule.apply(b, change);
      this.recordAudit(budgetDraft(name, change.scope, askedOf(change)), now, touches);
      return budgetInfo(b);
    });
  }
}
