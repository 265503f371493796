/**
 * The budgets of the embedded ledger and their provisioning plane: budgets by
 * (scope, unit), templates that materialise budgets on first use, and the
 * degradation policy.
 */
import type {
  AmountChange,
  BudgetDefinition,
  BudgetInfo,
  BudgetKey,
  BudgetListFilter,
  BudgetStatus,
  BudgetTemplate,
  DegradationPolicy,
  LedgerAdmin,
} from '../authority.js';
import { InvalidRequestError, NotFoundError } from '../errors.js';
import type { Page } from '../ledger/queries.js';
import { paginate, scopeMatchesFilter } from '../ledger/queries.js';
import { type BudgetState, remainingOf } from '../ledger/rules.js';
import * as P from '../policy/schemas.js';
import type { BalanceQuery } from '../protocol/messages.js';
import type { Caps, Unit } from '../protocol/types.js';
import { MAX_AMOUNT } from '../protocol/types.js';
import { validate } from '../protocol/validate.js';
import { parseScope, type ScopeSegment, scopeMatches, tenantOfScope } from '../scopes.js';

interface CompiledTemplate {
  template: BudgetTemplate;
  pattern: ScopeSegment[];
}

const keyOf = (scope: string, unit: Unit) => `${scope}\u0000${unit}`;

export function budgetInfo(b: BudgetState): BudgetInfo {
  const { caps, isolated, ...state } = b;
  const info: BudgetInfo = { ...state, remaining: remainingOf(b) };
  if (caps) info.caps = structuredClone(caps);
  if (isolated) info.isolated = true;
  return info;
}

export abstract class BudgetBook implements Omit<LedgerAdmin, 'sweepExpired'> {
  readonly #budgets = new Map<string, BudgetState>();
  readonly #templates: CompiledTemplate[] = [];
  #degradation: DegradationPolicy | undefined;

  /** The ledger's time, after settling what is due (expiry). */
  protected abstract ledgerNow(): number;

  protected get degradation(): DegradationPolicy | undefined {
    return this.#degradation;
  }

  protected budgetAt(scope: string, unit: Unit): BudgetState | undefined {
    return this.#budgets.get(keyOf(scope, unit));
  }

  /** The budget the first matching template gives `scope`; stored only when `persist`. */
  protected materialize(scope: string, unit: Unit, persist: boolean): BudgetState | undefined {
    for (const { template, pattern } of this.#templates) {
      if (template.unit !== unit || !scopeMatches(pattern, scope)) continue;
      const budget = newBudget({ ...template, scope });
      if (persist) this.#budgets.set(keyOf(scope, unit), budget);
      return budget;
    }
    return undefined;
  }

  protected queryBudgets(query: BalanceQuery): Page<BudgetState> {
    const rows = [...this.#budgets.values()].filter((b) => scopeMatchesFilter(b.scope, query));
    rows.sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : a.unit < b.unit ? -1 : 1));
    const { cursor, limit, ...filter } = query;
    return paginate(rows, filter, cursor, limit);
  }

  protected pageTail(page: Page<unknown>): { nextCursor?: string; hasMore?: boolean } {
    return page.nextCursor ? { nextCursor: page.nextCursor, hasMore: true } : {};
  }

  async createBudget(input: BudgetDefinition): Promise<BudgetInfo> {
    const def = validate(P.budgetDefinition, input) as BudgetDefinition;
    parseScope(def.scope);
    this.ledgerNow();
    if (this.#budgets.has(keyOf(def.scope, def.unit))) {
      throw new InvalidRequestError([
        { path: 'scope', message: `a ${def.unit} budget already exists for ${def.scope}` },
      ]);
    }
    const budget = newBudget(def);
    this.#budgets.set(keyOf(def.scope, def.unit), budget);
    return budgetInfo(budget);
  }

  async fund(input: AmountChange): Promise<BudgetInfo> {
    return this.#change(P.amountChange, input, (b, { amount }) => {
      checkCeiling(b.allocated + amount + b.overdraftLimit);
      const repaid = Math.min(b.debt, amount);
      b.allocated += amount;
      b.debt -= repaid;
      b.spent += repaid;
      if (b.debt <= b.overdraftLimit && remainingOf(b) >= 0) b.isOverLimit = false;
    });
  }

  async debit(input: AmountChange): Promise<BudgetInfo> {
    return this.#change(P.amountChange, input, (b, { amount }) => {
      if (amount > Math.max(0, remainingOf(b))) {
        throw new InvalidRequestError([
          { path: 'amount', message: `must be at most the remaining ${remainingOf(b)} of ${b.scope}` },
        ]);
      }
      b.allocated -= amount;
    });
  }

  async setAllocation(input: AmountChange): Promise<BudgetInfo> {
    return this.#change(P.amountChange, input, (b, { amount }) => {
      checkCeiling(amount + b.overdraftLimit);
      b.allocated = amount;
    });
  }

  async setOverdraftLimit(input: AmountChange): Promise<BudgetInfo> {
    return this.#change(P.amountChange, input, (b, { amount }) => {
      checkCeiling(b.allocated + amount);
      b.overdraftLimit = amount;
      if (b.debt <= amount && remainingOf(b) >= 0) b.isOverLimit = false;
    });
  }

  async setCaps(input: BudgetKey & { caps?: Caps | undefined }): Promise<BudgetInfo> {
    return this.#change(P.capsChange, input, (b, { caps }) => {
      b.caps = caps;
    });
  }

  async freeze(key: BudgetKey): Promise<BudgetInfo> {
    return this.#setStatus(key, 'FROZEN');
  }

  async unfreeze(key: BudgetKey): Promise<BudgetInfo> {
    return this.#setStatus(key, 'ACTIVE');
  }

  async close(key: BudgetKey): Promise<BudgetInfo> {
    return this.#setStatus(key, 'CLOSED');
  }

  async resetSpent(key: BudgetKey): Promise<BudgetInfo> {
    return this.#change(P.budgetKey, key, (b) => {
      b.spent = 0;
    });
  }

  async getBudget(input: BudgetKey): Promise<BudgetInfo | undefined> {
    const key = validate(P.budgetKey, input) as BudgetKey;
    this.ledgerNow();
    const b = this.#budgets.get(keyOf(key.scope, key.unit));
    return b ? budgetInfo(b) : undefined;
  }

  async listBudgets(filter: BudgetListFilter = {}): Promise<BudgetInfo[]> {
    this.ledgerNow();
    const all = [...this.#budgets.values()].filter(
      (b) => !filter.tenant || tenantOfScope(b.scope) === filter.tenant,
    );
    return all.map(budgetInfo);
  }

  async addTemplate(input: BudgetTemplate): Promise<void> {
    const template = validate(P.budgetTemplate, input) as BudgetTemplate;
    const pattern = parseScope(template.match, { allowWildcard: true });
    checkCeiling(template.allocated + (template.overdraftLimit ?? 0));
    this.#templates.push({ template, pattern });
  }

  async listTemplates(): Promise<BudgetTemplate[]> {
    return this.#templates.map((t) => structuredClone(t.template));
  }

  async setDegradationPolicy(input: DegradationPolicy | undefined): Promise<void> {
    this.#degradation =
      input === undefined ? undefined : (validate(P.degradationPolicy, input) as DegradationPolicy);
  }

  async getDegradationPolicy(): Promise<DegradationPolicy | undefined> {
    return this.#degradation && structuredClone(this.#degradation);
  }

  #setStatus(key: BudgetKey, status: BudgetStatus): Promise<BudgetInfo> {
    return this.#change(P.budgetKey, key, (b) => {
      if (b.status === 'CLOSED' && status !== 'CLOSED') {
        throw new InvalidRequestError([
          { path: 'scope', message: `budget ${b.scope} (${b.unit}) is closed for good` },
        ]);
      }
      b.status = status;
    });
  }

  async #change<T extends BudgetKey>(
    schema: Parameters<typeof validate>[0],
    input: T,
    apply: (b: BudgetState, change: T) => void,
  ): Promise<BudgetInfo> {
    const change = validate(schema, input) as T;
    this.ledgerNow();
    const b = this.#budgets.get(keyOf(change.scope, change.unit));
    if (!b)
      throw new NotFoundError(`No ${change.unit} budget for scope ${change.scope}`, { scope: change.scope });
    apply(b, change);
    return budgetInfo(b);
  }
}

function newBudget(def: Omit<BudgetDefinition, 'scope'> & { scope: string }): BudgetState {
  return {
    scope: def.scope,
    unit: def.unit,
    status: 'ACTIVE',
    allocated: def.allocated,
    spent: 0,
    reserved: 0,
    debt: 0,
    overdraftLimit: def.overdraftLimit ?? 0,
    isOverLimit: false,
    caps: def.caps && structuredClone(def.caps),
    isolated: def.isolated,
  };
}

function checkCeiling(total: number): void {
  if (total > MAX_AMOUNT) {
    throw new InvalidRequestError([
      {
        path: 'amount',
        message: `allocated + overdraftLimit would exceed ${MAX_AMOUNT}, the largest exact amount`,
      },
    ]);
  }
}
