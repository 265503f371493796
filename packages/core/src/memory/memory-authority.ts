/**
 * The embedded ledger: the full runtime semantics in one process. Every
 * operation runs to completion synchronously inside its promise, so each one
 * is atomic with respect to every other, however many are in flight.
 */

import { approvalLedgerOf } from '../approvals/ledger-approvals.js';
import { MemoryApprovals } from '../approvals/memory-approvals.js';
import type {
  Approval,
  ApprovalDecision,
  ApprovalLedger,
  ApprovalQuery,
  ApprovalRequest,
} from '../approvals/types.js';
import { type AuditAppend, validateAuditAppend } from '../audit/append.js';
import { type AuditDraft, commitDraft, expireDraft, extendDraft, releaseDraft } from '../audit/entries.js';
import { MemoryAuditLog, readRecord } from '../audit/memory-audit.js';
import { BudgetTouches } from '../audit/touches.js';
import type {
  AuditPage,
  AuditQuery,
  AuditRecord,
  AuditRetention,
  AuditTrail,
  AuditVerification,
  AuditWriter,
} from '../audit/types.js';
import type { Authority } from '../authority.js';
import { type Clock, systemClock } from '../clock.js';
import { InvalidRequestError, NotFoundError, ReservationExpiredError } from '../errors.js';
import type { BudgetFinder } from '../ledger/evaluate.js';
import { settleOnce, withRemainingTtl } from '../ledger/idempotency.js';
import { DEFAULT_MAX_IDEMPOTENCY_RECORDS, maxLiveOption } from '../ledger/limits.js';
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
import type { MetadataLimits } from '../protocol/json-value.js';
import type * as M from '../protocol/messages.js';
import * as S from '../protocol/schemas.js';
import type { Amount, OveragePolicy } from '../protocol/types.js';
import { validateRequest } from '../protocol/validate.js';
import { BudgetBook } from './budget-book.js';
import { DeadlineHeap } from './deadline-heap.js';
import { Fifo } from './fifo.js';
import { FigureSlabs } from './figure-slabs.js';
import { IdempotencyStore } from './idempotency-store.js';
import { isPlainReservationId, plainCommit, plainRelease, plainReservation } from './plain-requests.js';
import { SETTLED, settledReservation, statusOf, tenantOf } from './settled-reservation.js';
import { SharedParts } from './shared-parts.js';
import { type MemorySnapshot, readSnapshot, SNAPSHOT_VERSION } from './snapshot.js';
import { MemoryWindowLogs } from './window-logs.js';

export interface MemoryAuthorityOptions {
  /** The ledger's clock; default the system clock. Use ManualClock in tests. */
  clock?: Clock;
  /** Extensions allowed per reservation; default unlimited. */
  maxExtensions?: number;
  /** How long successful answers replay for the same idempotency key; default 24 h. */
  idempotencyRetentionMs?: number;
  /** Most idempotency records kept (oldest dropped first); default 200,000. */
  maxIdempotencyRecords?: number;
  /** How long finalized and expired reservations stay listable; default 1 h. */
  reservationRetentionMs?: number;
  /** Most finalized reservations kept (oldest dropped first); default 20,000. */
  maxFinalizedReservations?: number;
  /**
   * Attach the affected budgets' balances to reserve, commit, release, extend
   * and event answers (optional in the protocol); default true. Turning it off
   * saves building them: some 5–10 % of a reserve+commit pair.
   */
  includeBalances?: boolean;
  /**
   * Most ACTIVE reservations one tenant may hold; past it a reserve is a DENY
   * with reason LIVE_RESERVATION_LIMIT. Default 100,000.
   */
  maxLiveReservationsPerTenant?: number;
  /** Bounds on metadata and `metrics.custom`: nesting depth (default 32) and JSON size (default 64 KiB). */
  metadataLimits?: Partial<MetadataLimits>;
  /**
   * The audit trail: one hash-chained record per decision and change, kept per
   * tenant (default the last 10,000); `false` keeps none.
   */
  audit?: AuditRetention | false;
}

interface ReservationRecord {
  detail: M.ReservationDetail;
  budgets: BudgetState[];
  gracePeriodMs: number;
  overagePolicy: OveragePolicy;
  extensions: number;
  /** What its approval raised each budget by (aligned with `budgets`), while ACTIVE; see giveBackRaise. */
  raised?: number[] | undefined;
}

/** The embedded Authority and LedgerAdmin. */
export class MemoryAuthority
  extends BudgetBook
  implements Authority, AuditTrail, AuditWriter, ApprovalLedger
{
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
  readonly #schemas: S.RequestSchemas;
  /** ACTIVE reservations per tenant. */
  readonly #liveByTenant = new Map<string, number>();
  /** Rate-limit and loop-breaker windows (not in snapshots: a restart starts them afresh). */
  readonly #windows = new MemoryWindowLogs();
  readonly #approvals = new MemoryApprovals();
  readonly #sharedParts = new SharedParts();
  readonly #settledFigures = new FigureSlabs();

  constructor(options: MemoryAuthorityOptions = {}) {
    super(options.audit === false ? undefined : new MemoryAuditLog(options.audit));
    this.#clock = options.clock ?? systemClock;
    this.#maxExtensions = options.maxExtensions ?? Number.POSITIVE_INFINITY;
    this.#includeBalances = options.includeBalances ?? true;
    this.#reservationRetentionMs = options.reservationRetentionMs ?? 3_600_000;
    this.#maxFinalized = options.maxFinalizedReservations ?? 20_000;
    this.#idempotency = new IdempotencyStore(
      options.idempotencyRetentionMs ?? 86_400_000,
      options.maxIdempotencyRecords ?? DEFAULT_MAX_IDEMPOTENCY_RECORDS,
    );
    this.#schemas = S.requestSchemas(options.metadataLimits);
    this.#liveLimit.max = maxLiveOption(options.maxLiveReservationsPerTenant);
  }

  /** The whole ledger as plain data (see MemorySnapshot); `MemoryAuthority.restore` takes it back. */
  snapshot(): MemorySnapshot {
    return {
      version: SNAPSHOT_VERSION,
      ...this.exportBook(),
      reservations: [...this.#reservations.values()].map(
        ({ detail, gracePeriodMs, overagePolicy, extensions, raised }) =>
          structuredClone({
            detail,
            gracePeriodMs,
            overagePolicy,
            extensions,
            ...(raised ? { raised } : {}),
          }),
      ),
      finalized: this.#finalized.entries(),
      idempotency: this.#idempotency.snapshot(),
      ...(this.auditLog ? { audit: this.auditLog.snapshot() } : {}),
      approvals: this.#approvals.snapshot(),
    };
  }

  /** A ledger with the state of `snapshot` (from `snapshot()`), under `options`. */
  static restore(snapshot: MemorySnapshot, options: MemoryAuthorityOptions = {}): MemoryAuthority {
    const ledger = new MemoryAuthority(options);
    ledger.#load(readSnapshot(snapshot));
    return ledger;
  }

  async reserve(input: M.ReservationCreateRequest): Promise<M.ReservationCreateResponse> {
    const req: M.ReservationCreateRequest =
      plainReservation(input) ?? validateRequest(this.#schemas.reservationCreateRequest, input);
    const now = this.#tick();
    return reserveOnce(this.#context(now), req, (detail, normalized, budgets, raised) => {
      const record: ReservationRecord = {
        detail,
        budgets,
        gracePeriodMs: normalized.gracePeriodMs,
        overagePolicy: normalized.overagePolicy,
        extensions: 0,
      };
      if (raised) record.raised = raised;
      this.#track(record);
    });
  }

  async decide(input: M.DecisionRequest): Promise<M.DecisionResponse> {
    const req: M.DecisionRequest = validateRequest(this.#schemas.decisionRequest, input);
    return decideOnce(this.#context(this.#tick()), req);
  }

  async commit(reservationId: string, input: M.CommitRequest): Promise<M.CommitResponse> {
    const id = this.#reservationId(reservationId);
    const req: M.CommitRequest = plainCommit(input) ?? validateRequest(this.#schemas.commitRequest, input);
    return this.#settleOnce(
      id,
      'commit',
      req,
      (rec, now) => {
        const response = chargeCommit(
          rec.budgets,
          rec.detail,
          req.actual,
          rec.overagePolicy,
          this.#includeBalances,
          rec.raised,
        );
        this.#finalize(rec, 'COMMITTED', now, {
          committed: { ...response.charged },
          committedMetadata: req.metadata,
        });
        return response;
      },
      (rec, response) => commitDraft(rec.detail, req, response),
    );
  }

  async release(reservationId: string, input: M.ReleaseRequest): Promise<M.ReleaseResponse> {
    const id = this.#reservationId(reservationId);
    const req: M.ReleaseRequest = plainRelease(input) ?? validateRequest(S.releaseRequest, input);
    return this.#settleOnce(
      id,
      'release',
      req,
      (rec, now) => {
        const response = chargeRelease(rec.budgets, rec.detail.reserved, this.#includeBalances, rec.raised);
        this.#finalize(rec, 'RELEASED', now, {});
        return response;
      },
      (rec, response) => releaseDraft(rec.detail, req, response),
    );
  }

  async extend(
    reservationId: string,
    input: M.ReservationExtendRequest,
  ): Promise<M.ReservationExtendResponse> {
    const id = validateRequest(S.reservationId, reservationId, ['reservationId']);
    const req: M.ReservationExtendRequest = validateRequest(this.#schemas.reservationExtendRequest, input);
    const response = await this.#settleOnce(
      id,
      'extend',
      req,
      (rec, now) => {
        checkExtendable(rec.detail, rec.extensions, this.#maxExtensions, now);
        rec.extensions += 1;
        rec.detail.expiresAtMs += req.extendByMs;
        this.#deadlines.push(rec.detail.expiresAtMs + rec.gracePeriodMs, id);
        const out: M.ReservationExtendResponse = { status: 'ACTIVE', expiresAtMs: rec.detail.expiresAtMs };
        if (this.#includeBalances) out.balances = rec.budgets.map(toBalance);
        return out;
      },
      (rec, out) => extendDraft(rec.detail, req, out),
    );
    return this.#withRemainingTtl(response, this.#clock.now(), id);
  }

  async event(input: M.EventCreateRequest): Promise<M.EventCreateResponse> {
    const req: M.EventCreateRequest = validateRequest(this.#schemas.eventCreateRequest, input);
    return eventOnce(this.#context(this.#tick()), req);
  }

  async balances(input: M.BalanceQuery): Promise<M.BalanceResponse> {
    const query: M.BalanceQuery = validateRequest(S.balanceQuery, input);
    const page = this.queryBudgets(query, this.#tick());
    return { balances: page.items.map(toBalance), ...this.pageTail(page) };
  }

  async getReservation(reservationId: string): Promise<M.ReservationDetail> {
    const id = validateRequest(S.reservationId, reservationId, ['reservationId']);
    this.#tick();
    const rec = this.#reservations.get(id);
    if (!rec) throw new NotFoundError(`Reservation ${id} not found`);
    if (statusOf(rec) === 'EXPIRED') throw new ReservationExpiredError(`Reservation ${id} has expired`);
    return structuredClone(rec.detail);
  }

  async listReservations(input: M.ReservationListQuery = {}): Promise<M.ReservationListResponse> {
    const query: M.ReservationListQuery = validateRequest(S.reservationListQuery, input);
    this.#tick();
    const details = [...this.#reservations.values()].map((r) => r.detail);
    const page = queryReservations(details, query);
    return { reservations: structuredClone(page.items), ...this.pageTail(page) };
  }

  async sweepExpired(): Promise<number> {
    return this.#sweep(this.#clock.now());
  }

  async queryAudit(query?: AuditQuery): Promise<AuditPage> {
    this.#tick();
    return this.#trail().query(query);
  }

  async verifyAudit(tenant: string): Promise<AuditVerification> {
    this.#tick();
    return this.#trail().verify(tenant);
  }

  async appendAudit(input: AuditAppend): Promise<AuditRecord> {
    const entry = validateAuditAppend(input);
    return readRecord(this.#trail().append({ scopes: [], ...entry, atMs: this.#tick() }));
  }

  readonly #approvalLedger = approvalLedgerOf({
    store: this.#approvals,
    atNow: (fn) => fn(this.#tick()),
    record: (draft, now) => this.recordAudit(draft, now),
  });

  requestApproval(request: ApprovalRequest): Promise<Approval> {
    return this.#approvalLedger.requestApproval(request);
  }

  findApproval(tenant: string, key: string): Promise<Approval | undefined> {
    return this.#approvalLedger.findApproval(tenant, key);
  }

  getApproval(tenant: string, approvalId: string): Promise<Approval> {
    return this.#approvalLedger.getApproval(tenant, approvalId);
  }

  listApprovals(query?: ApprovalQuery): Promise<Approval[]> {
    return this.#approvalLedger.listApprovals(query);
  }

  decideApproval(decision: ApprovalDecision): Promise<Approval> {
    return this.#approvalLedger.decideApproval(decision);
  }

  // ---- internals -------------------------------------------------------------------------

  #reservationId(id: string): string {
    return isPlainReservationId(id) ? id : validateRequest(S.reservationId, id, ['reservationId']);
  }

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
      if (!rec || statusOf(rec) !== 'ACTIVE' || rec.detail.expiresAtMs + rec.gracePeriodMs >= now) continue;
      for (const b of rec.budgets) this.rollOver(b, now);
      const touches = this.auditLog && new BudgetTouches();
      touches?.touchAll(rec.budgets);
      unreserve(rec.budgets, rec.detail.reserved.amount, rec.raised);
      this.#finalize(rec, 'EXPIRED', now, {});
      if (touches) this.recordAudit(expireDraft(rec.detail), now, touches);
      expired += 1;
    }
    this.#compactDeadlines();
    this.#idempotency.prune(now);
    this.#sweptAt = now;
    this.#finalized.shiftExpired(now, this.#reservationRetentionMs, this.#maxFinalized, this.#prune);
    return expired;
  }

  /** When the last sweep ran (for #prune). */
  #sweptAt = 0;

  /** A settled reservation past retention leaves the ledger. */
  readonly #prune = (id: string) => {
    const rec = this.#reservations.get(id);
    // Its settlement answers outlive it: they replay for the whole idempotency window.
    if (rec) this.#idempotency.rememberSettled(id, tenantOf(rec), this.#sweptAt);
    this.#reservations.delete(id);
  };

  /** Settled reservations leave their deadline behind; drop them once they outnumber the live ones. */
  #compactDeadlines(): void {
    if (this.#deadlines.size < 1024 || this.#deadlines.size < 4 * this.#live.size) return;
    const live: [number, string][] = [];
    for (const [id, rec] of this.#live) live.push([rec.detail.expiresAtMs + rec.gracePeriodMs, id]);
    this.#deadlines.rebuild(live);
  }

  #trail(): MemoryAuditLog {
    if (!this.auditLog)
      throw new InvalidRequestError('this MemoryAuthority keeps no audit trail (audit: false)');
    return this.auditLog;
  }

  #finalize(
    rec: ReservationRecord,
    status: FinalStatus,
    now: number,
    extra: { committed?: Amount; committedMetadata?: Record<string, unknown> | undefined },
  ): void {
    finalizeDetail(rec.detail, status, now, extra);
    const id = rec.detail.reservationId;
    // A settled reservation changes no budget again, and is kept compact when it can be.
    rec.budgets = SETTLED;
    rec.raised = undefined;
    this.#reservations.set(id, settledReservation(rec, this.#settledFigures) ?? rec);
    if (this.#live.delete(id)) this.#countLive(rec.detail.subject.tenant, -1);
    this.#finalized.push(now, rec.detail.reservationId);
  }

  /** The shared path of commit, release and extend (see settleOnce); `draft` is its audit entry. */
  #settleOnce<T>(
    id: string,
    op: 'commit' | 'release' | 'extend',
    req: { idempotencyKey: string },
    apply: (rec: ReservationRecord, now: number) => T,
    draft: (rec: ReservationRecord, response: T) => AuditDraft,
  ): T {
    const now = this.#tick();
    return settleOnce(this.#idempotency, id, this.#reservations.get(id), op, req, now, (rec) => {
      for (const b of rec.budgets) this.rollOver(b, now);
      const touches = this.auditLog && new BudgetTouches();
      touches?.touchAll(rec.budgets);
      const response = apply(rec, now);
      if (touches) this.recordAudit(draft(rec, response), now, touches);
      return response;
    });
  }

  /** Keep a reservation; an ACTIVE one is live and has a deadline. */
  #track(rec: ReservationRecord): void {
    const id = rec.detail.reservationId;
    this.#sharedParts.share(rec.detail);
    this.#reservations.set(id, rec);
    if (rec.detail.status !== 'ACTIVE') return;
    this.#live.set(id, rec);
    this.#countLive(rec.detail.subject.tenant, 1);
    this.#deadlines.push(rec.detail.expiresAtMs + rec.gracePeriodMs, id);
  }

  #countLive(tenant: string, delta: number): void {
    const n = (this.#liveByTenant.get(tenant) ?? 0) + delta;
    if (n > 0) this.#liveByTenant.set(tenant, n);
    else this.#liveByTenant.delete(tenant);
  }

  #load(s: MemorySnapshot): void {
    this.importBook(s);
    for (const r of s.reservations) {
      const unit = r.detail.reserved.unit;
      const budgets = r.detail.affectedScopes.map((scope) => {
        const b = this.budgetAt(scope, unit);
        if (!b)
          throw new RangeError(
            `MemoryAuthority.restore: ${r.detail.reservationId} charges a missing budget ${scope}`,
          );
        return b;
      });
      this.#track({ ...r, budgets });
    }
    for (const [at, id] of s.finalized) this.#finalized.push(at, id);
    this.#idempotency.load(s.idempotency);
    if (s.audit) this.auditLog?.load(s.audit);
    if (s.approvals) this.#approvals.load(s.approvals);
  }

  #withRemainingTtl<T extends { expiresAtMs?: number; remainingTtlMs?: number; reservationId?: string }>(
    response: T,
    now: number,
    reservationId = response.reservationId,
  ): T {
    return withRemainingTtl(response, now, this.#isActive, reservationId);
  }

  /** The context of one operation at `now`; with an audit trail, it records the budgets it looks at. */
  #context(now: number): LedgerContext {
    const touches = this.auditLog && new BudgetTouches();
    return {
      records: this.#idempotency,
      find: this.#finder(now, touches),
      degradation: this.degradation,
      includeBalances: this.#includeBalances,
      isActive: this.#isActive,
      now,
      liveLimit: this.#liveLimit,
      windows: this.#windows,
      approvals: this.#approvals,
      audit: touches && ((draft) => this.recordAudit(draft, now, touches)),
    };
  }

  /** The budgets as one operation at `now` finds them (rolled over, materialised), noted in `touches`. */
  #finder(now: number, touches: BudgetTouches | undefined): BudgetFinder {
    return (scope, unit, persist) => {
      const stored = this.budgetAt(scope, unit);
      const b = stored ? this.rollOver(stored, now) : this.materialize(scope, unit, persist, now);
      return b && touches ? touches.touch(b, !stored && persist) : b;
    };
  }

  readonly #liveLimit = {
    max: 0,
    count: (tenant: string) => this.#liveByTenant.get(tenant) ?? 0,
  };

  readonly #isActive = (id: string) => {
    const rec = this.#reservations.get(id);
    return rec !== undefined && statusOf(rec) === 'ACTIVE';
  };
}
