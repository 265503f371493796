/**
 * Reserve, decide and event from a validated request to the answer, with
 * idempotent replay: shared by every ledger that keeps its state in
 * JavaScript. The ledger supplies where its budgets, answers and new
 * reservations live (a LedgerContext); these functions apply the rules.
 */
import { randomUUID } from 'node:crypto';
import type { MemoryApprovals } from '../approvals/memory-approvals.js';
import { approvalIdOf, raiseForApproval } from '../approvals/rules.js';
import { type AuditDraft, decideDraft, eventDraft, reserveDraft } from '../audit/entries.js';
import type { DegradationPolicy } from '../authority.js';
import { fingerprintOf } from '../canonical-json.js';
import type * as M from '../protocol/messages.js';
import type { Amount, Balance } from '../protocol/types.js';
import { type BudgetFinder, evaluateReservation } from './evaluate.js';
import { type IdempotencyRecords, withRemainingTtl } from './idempotency.js';
import { denialAnswer, liveLimitDenial } from './limits.js';
import { type NormalizedReservation, normalizeEvent, normalizeReservation } from './normalize.js';
import { loopGuardOf, type RateRequest, rateDenialOf, recordRate, type WindowLogs } from './rate-limits.js';
import { type BudgetState, toBalance } from './rules.js';
import { chargeEvent, newReservationDetail } from './settle.js';

export interface LedgerContext {
  records: IdempotencyRecords;
  find: BudgetFinder;
  degradation: DegradationPolicy | undefined;
  includeBalances: boolean;
  /** Is this reservation still ACTIVE (for `remainingTtlMs` on replays)? */
  isActive(reservationId: string): boolean;
  /** The ledger's time for this operation. */
  now: number;
  /** Cap on ACTIVE reservations per tenant: past `max`, a reserve is a DENY (LIVE_RESERVATION_LIMIT). */
  liveLimit?: { max: number; count(tenant: string): number } | undefined;
  /** Where rate-limit and loop-breaker windows are kept; without it neither is enforced. */
  windows?: WindowLogs | undefined;
  /** Record a decision or change that was made now (never a replay); the ledger adds the budgets touched. */
  audit?: ((draft: AuditDraft) => void) | undefined;
  /** Where approvals are kept; without it a reserve's approval is ignored. */
  approvals?: Pick<MemoryApprovals, 'usable'> | undefined;
}

/**
 * Keep a new ACTIVE reservation; its budgets already carry its amount in
 * `reserved`. `raised`: what its approval raised each budget by (aligned with
 * `budgets`; undefined: nothing), to keep with it for its settlement.
 */
export type StoreReservation = (
  detail: M.ReservationDetail,
  request: NormalizedReservation,
  budgets: BudgetState[],
  raised: number[] | undefined,
) => void;

export function reserveOnce(
  ctx: LedgerContext,
  req: M.ReservationCreateRequest,
  store: StoreReservation,
): M.ReservationCreateResponse {
  const normalized = normalizeReservation(req);
  const rate = rateRequestOf(req);
  const tenant = req.subject.tenant;
  const fingerprint = fingerprintOf(normalized);
  const replay = ctx.records.replay<M.ReservationCreateResponse>(
    tenant,
    'reserve',
    req.idempotencyKey,
    fingerprint,
  );
  if (replay) return withRemainingTtl(replay, ctx.now, ctx.isActive);

  // An approved call (a real reserve only): the budgets that would deny it are raised, its limits lifted.
  const limit = ctx.liveLimit;
  const overLimit = !normalized.dryRun && limit !== undefined && limit.count(tenant) >= limit.max;
  const approval =
    normalized.dryRun || overLimit
      ? undefined
      : ctx.approvals?.usable(approvalIdOf(req.metadata), req, ctx.now);
  let raised: number[] | undefined;
  const admit =
    approval &&
    ((budgets: BudgetState[]) => {
      raised = raiseForApproval(budgets, req.estimate.amount);
    });
  const evaluation = evaluateReservation(ctx.find, req, !normalized.dryRun, ctx.degradation, admit);
  let response: M.ReservationCreateResponse = { ...evaluation.response };
  const rated =
    response.decision !== 'DENY' && !approval ? rateDenial(ctx, evaluation.budgets, rate) : undefined;
  if (rated) response = denialAnswer(response, rated, evaluation.budgets);
  if (overLimit && response.decision !== 'DENY') {
    response = liveLimitDenial(tenant, response, evaluation.budgets);
  }
  if (!normalized.dryRun && response.decision !== 'DENY') {
    const id = `rsv_${randomUUID()}`;
    for (const b of evaluation.budgets) b.reserved += req.estimate.amount;
    if (ctx.windows) recordRate(ctx.windows, evaluation.budgets, rate, ctx.now);
    const detail = newReservationDetail(id, normalized, response.affectedScopes, ctx.now);
    store(detail, normalized, evaluation.budgets, raised);
    approval?.use(id);
    const balances = ctx.includeBalances ? evaluation.budgets.map(toBalance) : undefined;
    response = grantedAnswer(response, id, req.estimate, detail.expiresAtMs, balances);
  }
  // A DENY of a real reserve is not remembered: a retry is decided afresh.
  if (normalized.dryRun || response.decision !== 'DENY') {
    ctx.records.remember(tenant, 'reserve', req.idempotencyKey, fingerprint, response, ctx.now);
  }
  ctx.audit?.(reserveDraft(req, response, approval?.approval.approvalId));
  return response.reservationId ? withTtl(response, normalized.ttlMs) : response;
}

/**
 * The answer to a reserve that holds its amount: the ALLOW (or ALLOW_WITH_CAPS)
 * evaluated, then the reservation, then the balances. Built whole: adding the
 * reservation's fields one by one to the evaluated answer cost more than all
 * of the rules. Answers never share objects with the ledger's records: a
 * caller may change its copy freely.
 */
function grantedAnswer(
  allowed: M.ReservationCreateResponse,
  reservationId: string,
  estimate: Amount,
  expiresAtMs: number,
  balances: Balance[] | undefined,
): M.ReservationCreateResponse {
  const { decision, affectedScopes, scopePath, caps } = allowed;
  const reserved = { unit: estimate.unit, amount: estimate.amount };
  if (caps) {
    const out = { decision, affectedScopes, scopePath, caps, reservationId, reserved, expiresAtMs };
    return balances ? { ...out, balances } : out;
  }
  return balances
    ? { decision, affectedScopes, scopePath, reservationId, reserved, expiresAtMs, balances }
    : { decision, affectedScopes, scopePath, reservationId, reserved, expiresAtMs };
}

/** A granted answer as given to the caller: a copy, with its `remainingTtlMs` (built whole, as above). */
function withTtl(granted: M.ReservationCreateResponse, remainingTtlMs: number): M.ReservationCreateResponse {
  if (granted.caps) return { ...granted, remainingTtlMs };
  const { decision, affectedScopes, scopePath, reservationId, reserved, expiresAtMs, balances } = granted;
  return balances
    ? { decision, affectedScopes, scopePath, reservationId, reserved, expiresAtMs, balances, remainingTtlMs }
    : { decision, affectedScopes, scopePath, reservationId, reserved, expiresAtMs, remainingTtlMs };
}

export function decideOnce(ctx: LedgerContext, req: M.DecisionRequest): M.DecisionResponse {
  const tenant = req.subject.tenant;
  const fingerprint = fingerprintOf(req);
  const replay = ctx.records.replay<M.DecisionResponse>(tenant, 'decide', req.idempotencyKey, fingerprint);
  if (replay) return replay;
  const rate = rateRequestOf(req);
  const evaluation = evaluateReservation(ctx.find, req, false, ctx.degradation);
  const rated =
    evaluation.response.decision !== 'DENY' ? rateDenial(ctx, evaluation.budgets, rate) : undefined;
  if (rated) evaluation.response = denialAnswer(evaluation.response, rated, evaluation.budgets);
  const { decision, caps, reasonCode, affectedScopes, blockedScope, retryAfterMs } = evaluation.response;
  const response: M.DecisionResponse = { decision, affectedScopes };
  if (caps) response.caps = caps;
  if (reasonCode) Object.assign(response, { reasonCode, blockedScope });
  if (retryAfterMs !== undefined) response.retryAfterMs = retryAfterMs;
  ctx.records.remember(tenant, 'decide', req.idempotencyKey, fingerprint, response, ctx.now);
  ctx.audit?.(decideDraft(req, response));
  return response;
}

export function eventOnce(ctx: LedgerContext, req: M.EventCreateRequest): M.EventCreateResponse {
  const normalized = normalizeEvent(req);
  const tenant = req.subject.tenant;
  const fingerprint = fingerprintOf(normalized);
  const replay = ctx.records.replay<M.EventCreateResponse>(tenant, 'event', req.idempotencyKey, fingerprint);
  if (replay) return replay;
  const response = chargeEvent(ctx.find, normalized, ctx.includeBalances);
  ctx.records.remember(tenant, 'event', req.idempotencyKey, fingerprint, response, ctx.now);
  ctx.audit?.(eventDraft(req, response));
  return response;
}

/** What the rate limits and the loop breaker look at in a reserve or decide (its loop guard validated). */
function rateRequestOf(req: M.DecisionRequest): RateRequest {
  return {
    subject: req.subject,
    action: req.action,
    amount: req.estimate.amount,
    loop: loopGuardOf(req.metadata),
  };
}

const rateDenial = (ctx: LedgerContext, budgets: BudgetState[], rate: RateRequest) =>
  ctx.windows && rateDenialOf(ctx.windows, budgets, rate, ctx.now);
