/**
 * "Why was this allowed?" from the trail alone: a reservation's records, the
 * balances of the scopes it checked at that moment (before and after), and
 * the rule that decided — the denial check that failed, the budget caps or
 * the degradation tier in force then, or room in every scope.
 */
import { NotFoundError } from '../errors.js';
import type { Caps } from '../protocol/types.js';
import {
  type AuditQuery,
  type AuditRecord,
  type AuditScope,
  type AuditTrail,
  isAuditTrail,
} from './types.js';

type Figures = Pick<AuditScope, 'allocated' | 'spent' | 'reserved' | 'debt' | 'remaining'>;

export interface ExplainedScope {
  scope: string;
  unit: string;
  status: string;
  before: Figures;
  after: Figures;
  /** (allocated − remaining) / allocated before the call, in percent. */
  utilisationPercent: number;
  /** This scope decided the DENY. */
  blocked: boolean;
}

export interface Explanation {
  reservationId?: string;
  decision: AuditRecord['decision'];
  reasonCode?: string;
  /** One sentence: the rule that applied. */
  rule: string;
  caps?: Caps;
  decidedAtMs: number;
  scopes: ExplainedScope[];
  /** The record of the decision, then what followed (extend, commit, release, expire). */
  records: AuditRecord[];
}

const before = (s: AuditScope): Figures => {
  const d = s.delta ?? {};
  const f = {
    allocated: s.allocated - (d.allocated ?? 0),
    spent: s.spent - (d.spent ?? 0),
    reserved: s.reserved - (d.reserved ?? 0),
    debt: s.debt - (d.debt ?? 0),
  };
  return { ...f, remaining: f.allocated - f.spent - f.reserved - f.debt };
};
const figures = (s: AuditScope): Figures => ({
  allocated: s.allocated,
  spent: s.spent,
  reserved: s.reserved,
  debt: s.debt,
  remaining: s.remaining,
});
const percent = (f: Figures) =>
  f.allocated > 0 ? Math.round(((f.allocated - f.remaining) / f.allocated) * 10_000) / 100 : 100;

/** Explain the decision recorded in `decided`; `tiers` are the degradation tiers in force then. */
export function explainRecord(
  decided: AuditRecord,
  following: AuditRecord[] = [],
  tiers: { atPercent: number }[] = [],
): Explanation {
  const scopes: ExplainedScope[] = decided.scopes.map((s) => {
    const then = before(s);
    return {
      scope: s.scope,
      unit: s.unit,
      status: s.status,
      before: then,
      after: figures(s),
      utilisationPercent: percent(then),
      blocked: s.scope === decided.blockedScope,
    };
  });
  const explanation: Explanation = {
    decision: decided.decision,
    rule: ruleOf(decided, scopes, tiers),
    decidedAtMs: decided.atMs,
    scopes,
    records: [decided, ...following],
  };
  if (decided.reservationId) explanation.reservationId = decided.reservationId;
  if (decided.reasonCode) explanation.reasonCode = decided.reasonCode;
  if (decided.caps) explanation.caps = decided.caps;
  return explanation;
}

function ruleOf(r: AuditRecord, scopes: ExplainedScope[], tiers: { atPercent: number }[]): string {
  const amount = r.estimate?.amount ?? 0;
  const at = scopes.find((s) => s.blocked);
  switch (r.reasonCode) {
    case undefined:
      break;
    case 'BUDGET_EXCEEDED':
      return `DENY: ${at?.scope} had ${at?.before.remaining} left, less than the estimate ${amount}`;
    case 'BUDGET_FROZEN':
    case 'BUDGET_CLOSED':
      return `DENY: the budget at ${r.blockedScope} was ${r.reasonCode === 'BUDGET_FROZEN' ? 'frozen' : 'closed'}`;
    case 'DEBT_OUTSTANDING':
      return `DENY: ${at?.scope} owed ${at?.before.debt} and allows no overdraft`;
    case 'OVERDRAFT_LIMIT_EXCEEDED':
      return `DENY: ${at?.scope} was over its overdraft limit`;
    case 'LIVE_RESERVATION_LIMIT':
      return `DENY: tenant ${r.tenant} held as many live reservations as it may`;
    case 'BUDGET_NOT_FOUND':
      return `DENY: no budget covers ${r.scopePath}`;
    case 'RATE_LIMITED':
      return `DENY: a rate limit of the budget at ${r.blockedScope} was reached (only allowed calls count)`;
    case 'LOOP_DETECTED':
      return `DENY: the loop breaker saw the same ${r.action?.name ?? 'call'} with the same arguments too often in ${r.blockedScope}`;
    default:
      return `${r.decision}: ${r.reasonCode}${r.blockedScope ? ` at ${r.blockedScope}` : ''}`;
  }
  if (r.decision === 'ALLOW_WITH_CAPS') {
    const capped = r.scopes.filter((s) => s.caps).map((s) => s.scope);
    const reached = tiers
      .filter((t) => scopes.some((s) => s.utilisationPercent >= t.atPercent))
      .map((t) => `${t.atPercent}%`);
    const why = [
      ...(capped.length > 0 ? [`the caps of ${capped.join(', ')}`] : []),
      ...(reached.length > 0
        ? [
            `degradation tier ${reached.join(', ')} (highest utilisation ${Math.max(...scopes.map((s) => s.utilisationPercent))}%)`,
          ]
        : []),
    ];
    return `ALLOW_WITH_CAPS: ${why.join(' and ') || 'caps in force'}`;
  }
  const tightest = scopes.reduce<ExplainedScope | undefined>(
    (min, s) => (!min || s.before.remaining < min.before.remaining ? s : min),
    undefined,
  );
  return tightest
    ? `ALLOW: every scope had room; the tightest, ${tightest.scope}, had ${tightest.before.remaining} for an estimate of ${amount}`
    : 'ALLOW';
}

/** Every record matching `query`, page by page. */
async function allOf(ledger: AuditTrail, query: AuditQuery): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  let after: string | undefined;
  do {
    const page = await ledger.queryAudit({ ...query, limit: 1_000, ...(after ? { after } : {}) });
    records.push(...page.records);
    after = page.hasMore ? page.cursor : undefined;
  } while (after);
  return records;
}

/**
 * Explain a reservation from a ledger's trail: its decision, what followed,
 * the tiers then in force. `tenant`, when known (a tenant's key, or an id that
 * spells it), keeps the search to that tenant's trail.
 */
export async function explainReservation(
  ledger: AuditTrail | unknown,
  reservationId: string,
  options: { tenant?: string | undefined } = {},
): Promise<Explanation> {
  if (!isAuditTrail(ledger)) throw new NotFoundError('this ledger keeps no audit trail');
  const scope = options.tenant === undefined ? {} : { tenant: options.tenant };
  const records = await allOf(ledger, { ...scope, reservationId });
  const decided = records.find((r) => r.operation === 'reserve');
  if (!decided) throw new NotFoundError(`no audit record of reservation ${reservationId}`);
  const policies = await allOf(ledger, {
    tenant: '*',
    operation: 'policy.set_degradation',
    toMs: decided.atMs + 1,
  });
  const policy = policies.at(-1)?.detail?.policy as { tiers?: { atPercent: number }[] } | null | undefined;
  return explainRecord(
    decided,
    records.filter((r) => r !== decided),
    policy?.tiers ?? [],
  );
}
