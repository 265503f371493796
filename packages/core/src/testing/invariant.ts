import type { BudgetInfo, Ledger } from '../authority.js';
import type { ReservationDetail } from '../protocol/messages.js';
import { tenantOfScope } from '../scopes.js';

async function allActive(ledger: Ledger): Promise<ReservationDetail[]> {
  const out: ReservationDetail[] = [];
  let cursor: string | undefined;
  do {
    const page = await ledger.listReservations({
      status: 'ACTIVE',
      limit: 200,
      ...(cursor ? { cursor } : {}),
    });
    out.push(...page.reservations);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

export class LedgerInvariantError extends Error {}

/**
 * The ledger invariant, checked over every budget:
 * - remaining = allocated − spent − reserved − debt, all integers, none but
 *   remaining negative;
 * - reserved equals the sum of the live (ACTIVE) reservations touching it;
 * - remaining is negative only through debt (an explicitly allowed overdraft);
 * - `balances` reports the same figures as the provisioning plane.
 * Returns the budgets it checked.
 */
export async function assertLedgerInvariant(ledger: Ledger): Promise<BudgetInfo[]> {
  const budgets = await ledger.listBudgets();
  const live = new Map<string, number>();
  for (const r of await allActive(ledger)) {
    for (const scope of r.affectedScopes) {
      const k = `${scope}|${r.reserved.unit}`;
      live.set(k, (live.get(k) ?? 0) + r.reserved.amount);
    }
  }
  const problems: string[] = [];
  for (const b of budgets) {
    const where = `${b.scope} (${b.unit})`;
    for (const field of ['allocated', 'spent', 'reserved', 'debt', 'overdraftLimit'] as const) {
      if (!Number.isSafeInteger(b[field]) || b[field] < 0) problems.push(`${where}: ${field} = ${b[field]}`);
    }
    if (b.remaining !== b.allocated - b.spent - b.reserved - b.debt) {
      problems.push(`${where}: remaining ${b.remaining} ≠ allocated − spent − reserved − debt`);
    }
    const expected = live.get(`${b.scope}|${b.unit}`) ?? 0;
    if (b.reserved !== expected)
      problems.push(`${where}: reserved ${b.reserved} ≠ live reservations ${expected}`);
    if (b.remaining < 0 && b.debt === 0) problems.push(`${where}: remaining ${b.remaining} < 0 without debt`);
  }
  for (const tenant of new Set(budgets.map((b) => tenantOfScope(b.scope)))) {
    const { balances } = await ledger.balances({ tenant, includeChildren: true, limit: 200 });
    for (const bal of balances) {
      const b = budgets.find((x) => x.scope === bal.scope && x.unit === bal.remaining.unit);
      if (
        !b ||
        bal.remaining.amount !== b.remaining ||
        bal.reserved?.amount !== b.reserved ||
        bal.spent?.amount !== b.spent
      ) {
        problems.push(`${bal.scope}: balances() disagrees with getBudget()`);
      }
    }
  }
  if (problems.length > 0)
    throw new LedgerInvariantError(`ledger invariant broken:\n  ${problems.join('\n  ')}`);
  return budgets;
}
