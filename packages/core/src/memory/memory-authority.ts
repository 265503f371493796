/**
 * The embedded ledger: the full runtime semantics in one process. Every
 * operation runs to completion synchronously inside its promise, so each one
 * is atomic with respect to every other, however many are in flight.
 */
import type { Authority } from '../authority.js';
import { type Clock, systemClock } from '../clock.js';
import { NotFoundError, ReservationExpiredError } from '../errors.js';
import type { BudgetFinder } from '../ledger/evaluate.js';
import { settleOnce, withRemainingTtl } from '../ledger/idempotency.js';
import { decideOnce, eventOnce, type LedgerContext, reserveOnce } from '../ledger/operations.js';
import { queryReservations } from '../ledger/queries.js';
import { type BudgetState, toBalance } from '../ledger/rules.js';
import {
  chargeCommit,
  chargeRelease,
  checkExtendable,
  type FinalStatus,
  finalizeDetail,
  unreserve,
} from '../ledger/settle.js';
import type * as M from '../protocol/messages.js';
import * as S from '../protocol/schemas.js';
import type { Amount, OveragePolicy } from '../protocol/types.js';
import { validate } from '../protocol/validate.js';
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
    return reserveOnce(this.#context(now), req, (detail, normalized, budgets) => {
      const id = detail.reservationId;
      const record: ReservationRecord = {
        detail,
        budgets,
        gracePeriodMs: normalized.gracePeriodMs,
        overagePolicy: normalized.overagePolicy,
        extensions: 0,
      };
      this.#reservations.set(id, record);
      this.#live.set(id, record);
      this.#deadlines.push(detail.expiresAtMs + normalized.gracePeriodMs, id);
    });
  }

  async decide(input: M.DecisionRequest): Promise<M.DecisionResponse> {
    const req: M.DecisionRequest = validate(S.decisionRequest, input);
    return decideOnce(this.#context(this.#tick()), req);
  }

  async commit(reservationId: string, input: M.CommitRequest): Promise<M.CommitResponse> {
    const id = validate(S.reservationId, reservationId, ['reservationId']);
    const req: M.CommitRequest = validate(S.commitRequest, input);
    return this.#settleOnce(id, 'commit', req, (rec, now) => {
      const response = chargeCommit(
        rec.budgets,
        rec.detail,
        req.actual,
        rec.overagePolicy,
        this.#includeBalances,
      );
      this.#finalize(rec, 'COMMITTED', now, {
        committed: { ...response.charged },
        committedMetadata: req.metadata,
      });
      return response;
    });
  }

  async release(reservationId: string, input: M.ReleaseRequest): Promise<M.ReleaseResponse> {
    const id = validate(S.reservationId, reservationId, ['reservationId']);
    const req: M.ReleaseRequest = validate(S.releaseRequest, input);
    return this.#settleOnce(id, 'release', req, (rec, now) => {
      const response = chargeRelease(rec.budgets, rec.detail.reserved, this.#includeBalances);
      this.#finalize(rec, 'RELEASED', now, {});
      return response;
    });
  }

  async extend(
    reservationId: string,
    input: M.ReservationExtendRequest,
  ): Promise<M.ReservationExtendResponse> {
    const id = validate(S.reservationId, reservationId, ['reservationId']);
    const req: M.ReservationExtendRequest = validate(S.reservationExtendRequest, input);
    const response = await this.#settleOnce(id, 'extend', req, (rec, now) => {
      checkExtendable(rec.detail, rec.extensions, this.#maxExtensions, now);
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
    return eventOnce(this.#context(this.#tick()), req);
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
      unreserve(rec.budgets, rec.detail.reserved.amount);
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
    status: FinalStatus,
    now: number,
    extra: { committed?: Amount; committedMetadata?: Record<string, unknown> | undefined },
  ): void {
    finalizeDetail(rec.detail, status, now, extra);
    this.#live.delete(rec.detail.reservationId);
    this.#finalized.push(now, rec.detail.reservationId);
  }

  /** The shared path of commit, release and extend (see settleOnce). */
  #settleOnce<T>(
    id: string,
    op: 'commit' | 'release' | 'extend',
    req: { idempotencyKey: string },
    apply: (rec: ReservationRecord, now: number) => T,
  ): T {
    const now = this.#tick();
    return settleOnce(this.#idempotency, id, this.#reservations.get(id), op, req, now, (rec) =>
      apply(rec, now),
    );
  }

  #withRemainingTtl<T extends { expiresAtMs?: number; remainingTtlMs?: number; reservationId?: string }>(
    response: T,
    now: number,
    reservationId = response.reservationId,
  ): T {
    return withRemainingTtl(response, now, this.#isActive, reservationId);
  }

  #context(now: number): LedgerContext {
    return {
      records: this.#idempotency,
      find: this.#find,
      degradation: this.degradation,
      includeBalances: this.#includeBalances,
      isActive: this.#isActive,
      now,
    };
  }

  readonly #isActive = (id: string) => this.#reservations.get(id)?.detail.status === 'ACTIVE';

  readonly #find: BudgetFinder = (scope, unit, persist) =>
    this.budgetAt(scope, unit) ?? this.materialize(scope, unit, persist);
}
