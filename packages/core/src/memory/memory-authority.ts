/**
 * The embedded ledger: the full runtime semantics in one process. Every
 * operation runs to completion synchronously inside its promise, so each one
 * is atomic with respect to every other, however many are in flight.
 */
import { randomUUID } from 'node:crypto';
import type { Authority, DegradationPolicy } from '../authority.js';
import { fingerprintOf } from '../canonical-json.js';
import { type Clock, systemClock } from '../clock.js';
import {
  BudgetClosedError,
  BudgetFrozenError,
  MaxExtensionsExceededError,
  NotFoundError,
  ReservationExpiredError,
  ReservationFinalizedError,
  UnitMismatchError,
} from '../errors.js';
import { normalizeEvent, normalizeReservation } from '../ledger/normalize.js';
import { queryReservations } from '../ledger/queries.js';
import {
  applySettlement,
  type BudgetState,
  capsOf,
  chargedBudgets,
  denialOf,
  planSettlement,
  toBalance,
} from '../ledger/rules.js';
import type * as M from '../protocol/messages.js';
import * as S from '../protocol/schemas.js';
import { type Amount, type OveragePolicy, UNITS, type Unit } from '../protocol/types.js';
import { validate } from '../protocol/validate.js';
import { deriveScopes, scopePathOf } from '../scopes.js';
import { BudgetBook } from './budget-book.js';
import { DeadlineHeap } from './deadline-heap.js';
import { Fifo } from './fifo.js';
import { IdempotencyStore } from './idempotency-store.js';

export interface MemoryAuthorityOptions {
  /** The ledger's clock; default the system clock. Use ManualClock in tests. */
  clock?: Clock;
  /** Extensions allowed per reservation; default unlimited. */
  maxExtensions?: number;
  /** How long successful answers replay for the same idempotency key; default 24 h. */
  idempotencyRetentionMs?: number;
  /** Most idempotency records kept (oldest dropped first); default 100,000. */
  maxIdempotencyRecords?: number;
  /** How long finalized and expired reservations stay listable; default 1 h. */
  reservationRetentionMs?: number;
  /** Most finalized reservations kept (oldest dropped first); default 20,000. */
  maxFinalizedReservations?: number;
  /**
   * Attach the affected budgets' balances to reserve, commit, release, extend
   * and event answers (optional in the protocol); default true. Turning it off
   * roughly halves the cost of a reserve+commit pair.
   */
  includeBalances?: boolean;
}

interface ReservationRecord {
  detail: M.ReservationDetail;
  budgets: BudgetState[];
  gracePeriodMs: number;
  overagePolicy: OveragePolicy;
  extensions: number;
}

/** The embedded Authority and LedgerAdmin. */
export class MemoryAuthority extends BudgetBook implements Authority {
  readonly #clock: Clock;
  readonly #maxExtensions: number;
  readonly #reservationRetentionMs: number;
  readonly #maxFinalized: number;
  readonly #reservations = new Map<string, ReservationRecord>();
  readonly #finalized = new Fifo();
  readonly #deadlines = new DeadlineHeap();
  /** ACTIVE reservations only (a subset of #reservations). */
  readonly #live = new Map<string, ReservationRecord>();
  readonly #includeBalances: boolean;
  readonly #idempotency: IdempotencyStore;

  constructor(options: MemoryAuthorityOptions = {}) {
    super();
    this.#clock = options.clock ?? systemClock;
    this.#maxExtensions = options.maxExtensions ?? Number.POSITIVE_INFINITY;
    this.#includeBalances = options.includeBalances ?? true;
    this.#reservationRetentionMs = options.reservationRetentionMs ?? 3_600_000;
    this.#maxFinalized = options.maxFinalizedReservations ?? 20_000;
    this.#idempotency = new IdempotencyStore(
      options.idempotencyRetentionMs ?? 86_400_000,
      options.maxIdempotencyRecords ?? 100_000,
    );
  }

  async reserve(input: M.ReservationCreateRequest): Promise<M.ReservationCreateResponse> {
    const req: M.ReservationCreateRequest = validate(S.reservationCreateRequest, input);
    const now = this.#tick();
    const normalized = normalizeReservation(req);
    const fingerprint = fingerprintOf(normalized);
    const replay = this.#idempotency.replay<M.ReservationCreateResponse>(
      req.subject.tenant,
      'reserve',
      req.idempotencyKey,
      fingerprint,
    );
    if (replay) return this.#withRemainingTtl(replay, now);

    const evaluation = this.#evaluate(req, !normalized.dryRun);
    const response: M.ReservationCreateResponse = { ...evaluation.response };
    if (!normalized.dryRun && response.decision !== 'DENY') {
      const id = `rsv_${randomUUID()}`;
      const expiresAtMs = now + normalized.ttlMs;
      for (const b of evaluation.budgets) b.reserved += req.estimate.amount;
      const record: ReservationRecord = {
        detail: {
          reservationId: id,
          status: 'ACTIVE',
          idempotencyKey: req.idempotencyKey,
          subject: req.subject,
          action: req.action,
          reserved: req.estimate,
          createdAtMs: now,
          expiresAtMs,
          scopePath: scopePathOf(req.subject),
          affectedScopes: [...response.affectedScopes],
          ...(req.metadata ? { metadata: req.metadata } : {}),
        },
        budgets: evaluation.budgets,
        gracePeriodMs: normalized.gracePeriodMs,
        overagePolicy: normalized.overagePolicy,
        extensions: 0,
      };
      this.#reservations.set(id, record);
      this.#live.set(id, record);
      this.#deadlines.push(expiresAtMs + normalized.gracePeriodMs, id);
      // Answers never share objects with the ledger's records: a caller may change its copy freely.
      Object.assign(response, { reservationId: id, reserved: { ...req.estimate }, expiresAtMs });
      if (this.#includeBalances) response.balances = evaluation.budgets.map(toBalance);
    }
    if (normalized.dryRun || response.decision !== 'DENY') {
      this.#idempotency.remember(
        req.subject.tenant,
        'reserve',
        req.idempotencyKey,
        fingerprint,
        response,
        now,
      );
    }
    return response.reservationId ? { ...response, remainingTtlMs: normalized.ttlMs } : response;
  }

  async decide(input: M.DecisionRequest): Promise<M.DecisionResponse> {
    const req: M.DecisionRequest = validate(S.decisionRequest, input);
    const now = this.#tick();
    const fingerprint = fingerprintOf(req);
    const replay = this.#idempotency.replay<M.DecisionResponse>(
      req.subject.tenant,
      'decide',
      req.idempotencyKey,
      fingerprint,
    );
    if (replay) return replay;
    const { decision, caps, reasonCode, affectedScopes, blockedScope } = this.#evaluate(req, false).response;
    const response: M.DecisionResponse = { decision, affectedScopes };
    if (caps) response.caps = caps;
    if (reasonCode) Object.assign(response, { reasonCode, blockedScope });
    this.#idempotency.remember(req.subject.tenant, 'decide', req.idempotencyKey, fingerprint, response, now);
    return response;
  }

  async commit(reservationId: string, input: M.CommitRequest): Promise<M.CommitResponse> {
    const id = validate(S.reservationId, reservationId, ['reservationId']);
    const req: M.CommitRequest = validate(S.commitRequest, input);
    return this.#settleOnce(id, 'commit', req, (rec, now) => {
      const estimate = rec.detail.reserved;
      if (req.actual.unit !== estimate.unit) {
        throw new UnitMismatchError(
          `actual.unit ${req.actual.unit} differs from the reservation's unit ${estimate.unit}`,
          { scope: rec.detail.scopePath, requested_unit: req.actual.unit, expected_units: [estimate.unit] },
        );
      }
      const plan = planSettlement(rec.budgets, estimate.amount, req.actual.amount, rec.overagePolicy);
      applySettlement(rec.budgets, estimate.amount, plan);
      const charged = { unit: estimate.unit, amount: plan.charged };
      this.#finalize(rec, 'COMMITTED', now, { committed: { ...charged }, committedMetadata: req.metadata });
      const response: M.CommitResponse = { status: 'COMMITTED', charged };
      if (estimate.amount > plan.charged)
        response.released = { unit: estimate.unit, amount: estimate.amount - plan.charged };
      if (this.#includeBalances) response.balances = rec.budgets.map(toBalance);
      return response;
    });
  }

  async release(reservationId: string, input: M.ReleaseRequest): Promise<M.ReleaseResponse> {
    const id = validate(S.reservationId, reservationId, ['reservationId']);
    const req: M.ReleaseRequest = validate(S.releaseRequest, input);
    return this.#settleOnce(id, 'release', req, (rec, now) => {
      for (const b of rec.budgets) b.reserved -= rec.detail.reserved.amount;
      this.#finalize(rec, 'RELEASED', now, {});
      const out: M.ReleaseResponse = { status: 'RELEASED', released: { ...rec.detail.reserved } };
      if (this.#includeBalances) out.balances = rec.budgets.map(toBalance);
      return out;
    });
  }

  async extend(
    reservationId: string,
    input: M.ReservationExtendRequest,
  ): Promise<M.ReservationExtendResponse> {
    const id = validate(S.reservationId, reservationId, ['reservationId']);
    const req: M.ReservationExtendRequest = validate(S.reservationExtendRequest, input);
    const response = await this.#settleOnce(id, 'extend', req, (rec, now) => {
      if (now > rec.detail.expiresAtMs) {
        throw new ReservationExpiredError(
          `Reservation ${id} expired at ${rec.detail.expiresAtMs}; extend is too late`,
        );
      }
      if (rec.extensions >= this.#maxExtensions) {
        throw new MaxExtensionsExceededError(
          `Reservation ${id} has reached its ${this.#maxExtensions} extensions`,
        );
      }
      rec.extensions += 1;
      rec.detail.expiresAtMs += req.extendByMs;
      this.#deadlines.push(rec.detail.expiresAtMs + rec.gracePeriodMs, id);
      const out: M.ReservationExtendResponse = { status: 'ACTIVE', expiresAtMs: rec.detail.expiresAtMs };
      if (this.#includeBalances) out.balances = rec.budgets.map(toBalance);
      return out;
    });
    return this.#withRemainingTtl(response, this.#clock.now(), id);
  }

  async event(input: M.EventCreateRequest): Promise<M.EventCreateResponse> {
    const req: M.EventCreateRequest = validate(S.eventCreateRequest, input);
    const now = this.#tick();
    const normalized = normalizeEvent(req);
    const policy = normalized.overagePolicy;
    const fingerprint = fingerprintOf(normalized);
    const replay = this.#idempotency.replay<M.EventCreateResponse>(
      req.subject.tenant,
      'event',
      req.idempotencyKey,
      fingerprint,
    );
    if (replay) return replay;
    const scopes = deriveScopes(req.subject);
    const budgets = this.#budgetsFor(scopes, req.actual.unit, true);
    if (budgets.length === 0) this.#throwNoBudget(scopes, req.actual.unit);
    for (const b of budgets) {
      if (b.status === 'FROZEN')
        throw new BudgetFrozenError(`Budget ${b.scope} (${b.unit}) is frozen`, { scope: b.scope });
      if (b.status === 'CLOSED')
        throw new BudgetClosedError(`Budget ${b.scope} (${b.unit}) is closed`, { scope: b.scope });
    }
    const plan = planSettlement(budgets, 0, req.actual.amount, policy);
    applySettlement(budgets, 0, plan);
    const response: M.EventCreateResponse = { status: 'APPLIED', eventId: `evt_${randomUUID()}` };
    if (plan.charged < req.actual.amount) response.charged = { unit: req.actual.unit, amount: plan.charged };
    if (this.#includeBalances) response.balances = budgets.map(toBalance);
    this.#idempotency.remember(req.subject.tenant, 'event', req.idempotencyKey, fingerprint, response, now);
    return response;
  }

  async balances(input: M.BalanceQuery): Promise<M.BalanceResponse> {
    const query: M.BalanceQuery = validate(S.balanceQuery, input);
    this.#tick();
    const page = this.queryBudgets(query);
    return { balances: page.items.map(toBalance), ...this.pageTail(page) };
  }

  async getReservation(reservationId: string): Promise<M.ReservationDetail> {
    const id = validate(S.reservationId, reservationId, ['reservationId']);
    this.#tick();
    const rec = this.#reservations.get(id);
    if (!rec) throw new NotFoundError(`Reservation ${id} not found`);
    if (rec.detail.status === 'EXPIRED') throw new ReservationExpiredError(`Reservation ${id} has expired`);
    return structuredClone(rec.detail);
  }

  async listReservations(input: M.ReservationListQuery = {}): Promise<M.ReservationListResponse> {
    const query: M.ReservationListQuery = validate(S.reservationListQuery, input);
    this.#tick();
    const details = [...this.#reservations.values()].map((r) => r.detail);
    const page = queryReservations(details, query);
    return { reservations: structuredClone(page.items), ...this.pageTail(page) };
  }

  async sweepExpired(): Promise<number> {
    return this.#sweep(this.#clock.now());
  }

  // ---- internals -------------------------------------------------------------------------

  protected override ledgerNow(): number {
    return this.#tick();
  }

  /** Current ledger time, after expiring what is due and pruning what is past retention. */
  #tick(): number {
    const now = this.#clock.now();
    this.#sweep(now);
    return now;
  }

  #sweep(now: number): number {
    let expired = 0;
    for (let id = this.#deadlines.popBefore(now); id; id = this.#deadlines.popBefore(now)) {
      const rec = this.#reservations.get(id);
      if (rec?.detail.status !== 'ACTIVE' || rec.detail.expiresAtMs + rec.gracePeriodMs >= now) continue;
      for (const b of rec.budgets) b.reserved -= rec.detail.reserved.amount;
      this.#finalize(rec, 'EXPIRED', now, {});
      expired += 1;
    }
    this.#compactDeadlines();
    this.#idempotency.prune(now);
    this.#finalized.shiftWhile(
      (at, size) => at + this.#reservationRetentionMs < now || size > this.#maxFinalized,
      (id) => this.#reservations.delete(id),
    );
    return expired;
  }

  /** Settled reservations leave their deadline behind; drop them once they outnumber the live ones. */
  #compactDeadlines(): void {
    if (this.#deadlines.size < 1024 || this.#deadlines.size < 4 * this.#live.size) return;
    const live: [number, string][] = [];
    for (const [id, rec] of this.#live) live.push([rec.detail.expiresAtMs + rec.gracePeriodMs, id]);
    this.#deadlines.rebuild(live);
  }

  #finalize(
    rec: ReservationRecord,
    status: 'COMMITTED' | 'RELEASED' | 'EXPIRED',
    now: number,
    extra: { committed?: Amount; committedMetadata?: Record<string, unknown> | undefined },
  ): void {
    rec.detail.status = status;
    this.#live.delete(rec.detail.reservationId);
    if (status !== 'EXPIRED') rec.detail.finalizedAtMs = now;
    if (extra.committed) rec.detail.committed = extra.committed;
    if (extra.committedMetadata) rec.detail.committedMetadata = extra.committedMetadata;
    this.#finalized.push(now, rec.detail.reservationId);
  }

  /**
   * The shared path of commit, release and extend: idempotent replay first,
   * then the reservation's state (404, 409 finalized, 410 expired), then `apply`.
   */
  #settleOnce<T>(
    id: string,
    op: 'commit' | 'release' | 'extend',
    req: { idempotencyKey: string },
    apply: (rec: ReservationRecord, now: number) => T,
  ): T {
    const now = this.#tick();
    const rec = this.#reservations.get(id);
    const fingerprint = fingerprintOf({ reservationId: id, ...req });
    const tenant = rec?.detail.subject.tenant;
    if (tenant !== undefined) {
      const replay = this.#idempotency.replay<T>(tenant, op, req.idempotencyKey, fingerprint);
      if (replay) return replay;
    }
    if (!rec || tenant === undefined) throw new NotFoundError(`Reservation ${id} not found`);
    const status = rec.detail.status;
    if (status === 'EXPIRED') throw new ReservationExpiredError(`Reservation ${id} has expired`);
    if (status !== 'ACTIVE') throw new ReservationFinalizedError(`Reservation ${id} is already ${status}`);
    const response = apply(rec, now);
    this.#idempotency.remember(tenant, op, req.idempotencyKey, fingerprint, response, now);
    return response;
  }

  #withRemainingTtl<T extends { expiresAtMs?: number; remainingTtlMs?: number; reservationId?: string }>(
    response: T,
    now: number,
    reservationId = response.reservationId,
  ): T {
    if (response.expiresAtMs === undefined || reservationId === undefined) return response;
    const rec = this.#reservations.get(reservationId);
    const active = rec?.detail.status === 'ACTIVE';
    return { ...response, remainingTtlMs: active ? Math.max(0, response.expiresAtMs - now) : 0 };
  }

  /** Decision, caps and affected budgets for a reserve, dry run or decide. Mutates nothing else. */
  #evaluate(
    req: { subject: M.ReservationCreateRequest['subject']; estimate: Amount; dryRun?: boolean },
    persistent: boolean,
  ): { response: M.ReservationCreateResponse; budgets: BudgetState[] } {
    const scopes = deriveScopes(req.subject);
    const budgets = this.#budgetsFor(scopes, req.estimate.unit, persistent);
    const scopePath = scopes[scopes.length - 1] as string;
    if (budgets.length === 0) {
      if (persistent) this.#throwNoBudget(scopes, req.estimate.unit);
      this.#assertUnitKnown(scopes, req.estimate.unit);
      const response: M.ReservationCreateResponse = {
        decision: 'DENY',
        reasonCode: 'BUDGET_NOT_FOUND',
        affectedScopes: [],
        scopePath,
        blockedScope: scopePath,
      };
      return { response, budgets };
    }
    const affectedScopes = budgets.map((b) => b.scope);
    const denial = denialOf(budgets, req.estimate.amount);
    if (denial) {
      const response: M.ReservationCreateResponse = {
        decision: 'DENY',
        reasonCode: denial.reasonCode,
        blockedScope: denial.scope,
        affectedScopes,
        scopePath,
        balances: budgets.map(toBalance),
      };
      return { response, budgets };
    }
    const caps = capsOf(budgets, this.degradation as DegradationPolicy | undefined);
    const response: M.ReservationCreateResponse = {
      decision: caps ? 'ALLOW_WITH_CAPS' : 'ALLOW',
      affectedScopes,
      scopePath,
    };
    if (caps) response.caps = caps;
    if (!persistent) response.balances = budgets.map(toBalance);
    return { response, budgets };
  }

  #budgetsFor(scopes: string[], unit: Unit, persistent: boolean): BudgetState[] {
    const out: BudgetState[] = [];
    for (const scope of scopes) {
      const b = this.budgetAt(scope, unit) ?? this.materialize(scope, unit, persistent);
      if (b) out.push(b);
    }
    return chargedBudgets(out);
  }

  #assertUnitKnown(scopes: string[], unit: Unit): void {
    for (const scope of scopes) {
      const expected = UNITS.filter(
        (u) => u !== unit && (this.budgetAt(scope, u) || this.materialize(scope, u, false)),
      );
      if (expected.length > 0) {
        throw new UnitMismatchError(
          `No ${unit} budget for the subject's scopes; ${scope} has budgets in ${expected.join(', ')}`,
          {
            scope,
            requested_unit: unit,
            expected_units: expected,
          },
        );
      }
    }
  }

  #throwNoBudget(scopes: string[], unit: Unit): never {
    this.#assertUnitKnown(scopes, unit);
    throw new NotFoundError(`Budget not found for provided scope: ${scopes[scopes.length - 1]}`, {
      scope: scopes[scopes.length - 1],
    });
  }
}
