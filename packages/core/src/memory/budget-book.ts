/**
 * The budgets of the embedded ledger and their provisioning plane: budgets by
 * (scope, unit), templates that materialise budgets on first use, and the
 * degradation policy.
 */

import { type AuditDraft, askedOf, budgetDraft, entryOf } from '../audit/entries.js';
import type { MemoryAuditLog } from '../audit/memory-audit.js';
import { AUDIT_ALL_TENANTS } from '../audit/query.js';
import { BudgetTouches } from '../audit/touches.js';
import type {
  AmountChange,
  BudgetDefinition,
  BudgetInfo,
  BudgetKey,
  BudgetListFilter,
  BudgetTemplate,
  DegradationPolicy,
  LedgerAdmin,
} from '../authority.js';
import {
  BUDGET_CHANGES,
  type BudgetChange,
  type BudgetChangeName,
  budgetInfo,
  budgetNotFoundError,
  duplicateBudgetError,
  newBudget,
  validateDefinition,
} from '../ledger/budgets.js';
import { periodView, rollBudget, rolloverDraft } from '../ledger/periods.js';
import type { Page } from '../ledger/queries.js';
import { pageTail, queryBudgets } from '../ledger/queries.js';
import type { BudgetState } from '../ledger/rules.js';
import { budgetFromTemplates, type CompiledTemplate, compileTemplate } from '../ledger/templates.js';
import * as P from '../policy/schemas.js';
import type { BalanceQuery } from '../protocol/messages.js';
import type { Caps, Unit } from '../protocol/types.js';
import { validateRequest } from '../protocol/validate.js';
import { tenantOfScope } from '../scopes.js';

const keyOf = (scope: string, unit: Unit) => `${scope}\u0000${unit}`;

export interface BookSnapshot {
  budgets: BudgetState[];
  templates: BudgetTemplate[];
  degradation: DegradationPolicy | undefined;
}

export abstract class BudgetBook implements Omit<LedgerAdmin, 'sweepExpired'> {
  readonly #budgets = new Map<string, BudgetState>();
  /** The same budgets by scope, then unit: the hot lookup builds no key string. */
  readonly #byScope = new Map<string, Partial<Record<Unit, BudgetState>>>();
  readonly #templates: CompiledTemplate[] = [];
  #degradation: DegradationPolicy | undefined;
  /** Where every change is recorded; none when the ledger keeps no audit trail. */
  protected readonly auditLog: MemoryAuditLog | undefined;

  constructor(auditLog: MemoryAuditLog | undefined) {
    this.auditLog = auditLog;
  }

  /** Record `draft`, made at `now`, with the budgets `touches` saw. */
  protected recordAudit(draft: AuditDraft, now: number, touches?: BudgetTouches): void {
    this.auditLog?.append(entryOf(draft, now, touches));
  }

  /** The ledger's time, after settling what is due (expiry). */
  protected abstract ledgerNow(): number;

  protected get degradation(): DegradationPolicy | undefined {
    return this.#degradation;
  }

  protected budgetAt(scope: string, unit: Unit): BudgetState | undefined {
    return this.#byScope.get(scope)?.[unit];
  }

  #store(b: BudgetState): void {
    this.#budgets.set(keyOf(b.scope, b.unit), b);
    const units = this.#byScope.get(b.scope);
    if (units) units[b.unit] = b;
    else this.#byScope.set(b.scope, { [b.unit]: b });
  }

  /** The budget the first matching template gives `scope` at `now`; stored only when `persist`. */
  protected materialize(scope: string, unit: Unit, persist: boolean, now: number): BudgetState | undefined {
    const budget = budgetFromTemplates(this.#templates, scope, unit, now);
    if (budget && persist) this.#store(budget);
    return budget;
  }

  /** Budgets, templates and degradation policy as plain data (for a snapshot). */
  protected exportBook(): BookSnapshot {
    return structuredClone({
      budgets: [...this.#budgets.values()],
      templates: this.#templates.map((t) => t.template),
      degradation: this.#degradation,
    });
  }

  /** Load what `exportBook` gave, into an empty book. */
  protected importBook(book: BookSnapshot): void {
    for (const b of structuredClone(book.budgets)) this.#store(b);
    for (const t of book.templates) this.#templates.push(compileTemplate(t));
    this.#degradation = book.degradation && structuredClone(book.degradation);
  }

  /** Roll `b` over if its period has ended by `now`, with its audit record; call before an operation touches it. */
  protected rollOver(b: BudgetState, now: number): BudgetState {
    const touches = b.period && this.auditLog && new BudgetTouches();
    touches?.touch(b);
    if (rollBudget(b, now) && touches) this.recordAudit(rolloverDraft(b), now, touches);
    return b;
  }

  protected queryBudgets(query: BalanceQuery, now: number): Page<BudgetState> {
    return queryBudgets(this.#views(this.#budgets.values(), now), query);
  }

  /** Budgets as they read at `now` (a period that has ended shows the next one). */
  #views(budgets: Iterable<BudgetState>, now: number): BudgetState[] {
    return [...budgets].map((b) => periodView(b, now));
  }

  protected pageTail(page: Page<unknown>): { nextCursor?: string; hasMore?: boolean } {
    return pageTail(page);
  }

  async createBudget(input: BudgetDefinition): Promise<BudgetInfo> {
    const def = validateDefinition(input);
    const now = this.ledgerNow();
    if (this.#budgets.has(keyOf(def.scope, def.unit))) throw duplicateBudgetError(def);
    const budget = newBudget(def, now);
    this.#store(budget);
    if (this.auditLog) {
      const touches = new BudgetTouches();
      touches.touch(budget, true);
      this.recordAudit(budgetDraft('create', def.scope, askedOf(def)), now, touches);
    }
    return budgetInfo(budget);
  }

  async fund(input: AmountChange): Promise<BudgetInfo> {
    return this.#change('fund', input);
  }

  async debit(input: AmountChange): Promise<BudgetInfo> {
    return this.#change('debit', input);
  }

  async setAllocation(input: AmountChange): Promise<BudgetInfo> {
    return this.#change('setAllocation', input);
  }

  async setOverdraftLimit(input: AmountChange): Promise<BudgetInfo> {
    return this.#change('setOverdraftLimit', input);
  }

  async setCaps(input: BudgetKey & { caps?: Caps | undefined }): Promise<BudgetInfo> {
    return this.#change('setCaps', input);
  }

  async freeze(key: BudgetKey): Promise<BudgetInfo> {
    return this.#change('freeze', key);
  }

  async unfreeze(key: BudgetKey): Promise<BudgetInfo> {
    return this.#change('unfreeze', key);
  }

  async close(key: BudgetKey): Promise<BudgetInfo> {
    return this.#change('close', key);
  }

  async resetSpent(key: BudgetKey): Promise<BudgetInfo> {
    return this.#change('resetSpent', key);
  }

  async getBudget(input: BudgetKey): Promise<BudgetInfo | undefined> {
    const key = validateRequest(P.budgetKey, input) as BudgetKey;
    const now = this.ledgerNow();
    const b = this.#budgets.get(keyOf(key.scope, key.unit));
    return b ? budgetInfo(periodView(b, now)) : undefined;
  }

  async listBudgets(input: BudgetListFilter = {}): Promise<BudgetInfo[]> {
    const filter = validateRequest(P.budgetListFilter, input) as BudgetListFilter;
    const now = this.ledgerNow();
    const all = [...this.#budgets.values()].filter(
      (b) => !filter.tenant || tenantOfScope(b.scope) === filter.tenant,
    );
    return this.#views(all, now).map(budgetInfo);
  }

  async addTemplate(input: BudgetTemplate): Promise<void> {
    const compiled = compileTemplate(input);
    this.#templates.push(compiled);
    const detail = { template: structuredClone(compiled.template) };
    this.recordAudit(
      { operation: 'policy.add_template', tenant: AUDIT_ALL_TENANTS, detail },
      this.ledgerNow(),
    );
  }

  async listTemplates(): Promise<BudgetTemplate[]> {
    return this.#templates.map((t) => structuredClone(t.template));
  }

  async setDegradationPolicy(input: DegradationPolicy | undefined): Promise<void> {
    this.#degradation =
      input === undefined ? undefined : (validateRequest(P.degradationPolicy, input) as DegradationPolicy);
    const detail = this.#degradation ? { policy: structuredClone(this.#degradation) } : { policy: null };
    this.recordAudit(
      { operation: 'policy.set_degradation', tenant: AUDIT_ALL_TENANTS, detail },
      this.ledgerNow(),
    );
  }

  async getDegradationPolicy(): Promise<DegradationPolicy | undefined> {
    return this.#degradation && structuredClone(this.#degradation);
  }

  async #change(name: BudgetChangeName, input: BudgetKey): Promise<BudgetInfo> {
    const rule = BUDGET_CHANGES[name] as BudgetChange<BudgetKey>;
    const change = validateRequest(rule.schema, input) as BudgetKey;
    const now = this.ledgerNow();
    const b = this.#budgets.get(keyOf(change.scope, change.unit));
    if (!b) throw budgetNotFoundError(change);
    this.rollOver(b, now);
    const touches = this.auditLog && new BudgetTouches();
    touches?.touch(b);
    rule.apply(b, change);
    if (touches) {
      this.recordAudit(budgetDraft(name, change.scope, askedOf(change)), now, touches);
    }
    return budgetInfo(b);
  }
}
