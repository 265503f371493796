/**
 * The durable embedded ledger: MemoryAuthority's semantics (core's shared
 * rules, the same conformance suite), kept in one SQLite file. Every call is
 * one transaction, on disk before its promise resolves; any number of
 * processes may share the file (writers take turns on SQLite's lock).
 */

import type * as M from '@governor/core';
import {
  type Approval,
  type ApprovalDecision,
  type ApprovalLedger,
  type ApprovalQuery,
  type ApprovalRequest,
  type AuditPage,
  type AuditQuery,
  type AuditRecord,
  type AuditRetention,
  type AuditTrail,
  type AuditVerification,
  type AuditWriter,
  type Authority,
  approvalLedgerOf,
  type BudgetInfo,
  type BudgetKey,
  type Clock,
  type ReservationExtendResponse as ExtendResponse,
  InvalidRequestError,
  type Ledger,
  type MetadataLimits,
  NotFoundError,
  ReservationExpiredError,
  schemas as S,
  systemClock,
  validateRequest,
} from '@governor/core';
import {
  type AuditAppend,
  type AuditDraft,
  type BudgetState,
  BudgetTouches,
  chargeCommit,
  chargeRelease,
  checkExtendable,
  commitDraft,
  DEFAULT_MAX_IDEMPOTENCY_RECORDS,
  decideOnce,
  eventOnce,
  expireDraft,
  extendDraft,
  finalizeDetail,
  type LedgerContext,
  maxLiveOption,
  pageTail,
  queryBudgets,
  queryReservations,
  releaseDraft,
  reserveOnce,
  settleOnce,
  toBalance,
  unreserve,
  validateAuditAppend,
  withRemainingTtl,
} from '@governor/core/ledger';
import type { AuditRows } from './audit-rows.js';
import type { DriverName } from './driver.js';
import { LedgerStore } from './ledger-store.js';
import type { StoredReservation } from './reservation-rows.js';
import type { Synchronous } from './schema.js';
import { SqliteBudgetAdmin } from './sqlite-admin.js';

export interface SqliteAuthorityOptions {
  /** The ledger file (created if missing), or `:memory:` for a ledger that lives as long as this object. */
  path: string;
  /** The ledger's clock; default the system clock. Use ManualClock in tests. */
  clock?: Clock;
  /** `FULL` (default): every call is fsynced before it resolves. `NORMAL`: survives kill -9, not a power cut. */
  synchronous?: Synchronous;
  /** How long a call waits for another process holding the write lock; default 5,000 ms. */
  busyTimeoutMs?: number;
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
  /** Attach the affected budgets' balances to answers (optional in the protocol); default true. */
  includeBalances?: boolean;
  /** Most ACTIVE reservations one tenant may hold; past it a reserve is a DENY (LIVE_RESERVATION_LIMIT). Default 100,000. */
  maxLiveReservationsPerTenant?: number;
  /** Bounds on metadata and `metrics.custom`: nesting depth (default 32) and JSON size (default 64 KiB). */
  metadataLimits?: Partial<MetadataLimits>;
  /** SQLite driver; default better-sqlite3 (node:sqlite only if better-sqlite3's addon cannot load). */
  driver?: DriverName;
  /**
   * The audit trail: one hash-chained record per decision and change, in the
   * same transaction; by default the last 100,000 per tenant. `false` keeps none.
   */
  audit?: AuditRetention | false;
}

const TABLES = [
  'budgets',
  'reservations',
  'live_reservations',
  'idempotency',
  'settled_reservations',
  'templates',
  'settings',
  'audit',
  'audit_heads',
  'approvals',
];

/** The durable embedded Authority and LedgerAdmin. */
export class SqliteAuthority
  extends SqliteBudgetAdmin
  implements Ledger, Authority, AuditTrail, AuditWriter, ApprovalLedger
{
  readonly #maxExtensions: number;
  readonly #includeBalances: boolean;
  readonly #retentionMs: number;
  readonly #maxFinalized: number;
  readonly #schemas: S.RequestSchemas;
  readonly #liveLimit: NonNullable<LedgerContext['liveLimit']>;

  constructor(options: SqliteAuthorityOptions) {
    super(
      new LedgerStore({
        path: options.path,
        clock: options.clock ?? systemClock,
        synchronous: options.synchronous ?? 'FULL',
        busyTimeoutMs: options.busyTimeoutMs ?? 5_000,
        idempotencyRetentionMs: options.idempotencyRetentionMs ?? 86_400_000,
        maxIdempotencyRecords: options.maxIdempotencyRecords ?? DEFAULT_MAX_IDEMPOTENCY_RECORDS,
        driver: options.driver,
        audit:
          options.audit === false
            ? undefined
            : {
                maxRecordsPerTenant: options.audit?.maxRecordsPerTenant ?? 100_000,
                maxAgeMs: options.audit?.maxAgeMs ?? Number.POSITIVE_INFINITY,
              },
      }),
    );
    this.#maxExtensions = options.maxExtensions ?? Number.POSITIVE_INFINITY;
    this.#includeBalances = options.includeBalances ?? true;
    this.#retentionMs = options.reservationRetentionMs ?? 3_600_000;
    this.#maxFinalized = options.maxFinalizedReservations ?? 20_000;
    this.#schemas = S.requestSchemas(options.metadataLimits);
    this.#liveLimit = {
      max: maxLiveOption(options.maxLiveReservationsPerTenant),
      count: (tenant) => this.store.reservations.liveCount(tenant),
    };
  }

  /** Rows per table of the ledger file: what it holds (operators' view; tests compare it). */
  tableSizes(): Record<string, number> {
    return this.store.write(
      () => undefined,
      () => {
        const out: Record<string, number> = {};
        for (const table of TABLES) {
          out[table] = Number(this.store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get()?.n ?? 0);
        }
        return out;
      },
    );
  }

  /** The SQLite driver in use. */
  get driver(): DriverName {
    return this.store.db.driver;
  }

  async reserve(input: M.ReservationCreateRequest): Promise<M.ReservationCreateResponse> {
    const req: M.ReservationCreateRequest = validateRequest(this.#schemas.reservationCreateRequest, input);
    return this.write((now) =>
      reserveOnce(this.#context(now), req, (detail, normalized, _budgets, raised) => {
        const { gracePeriodMs, overagePolicy } = normalized;
        this.store.reservations.insert({ detail, gracePeriodMs, overagePolicy, extensions: 0, raised });
      }),
    );
  }

  async decide(input: M.DecisionRequest): Promise<M.DecisionResponse> {
    const req: M.DecisionRequest = validateRequest(this.#schemas.decisionRequest, input);
    return this.write((now) => decideOnce(this.#context(now), req));
  }

  async event(input: M.EventCreateRequest): Promise<M.EventCreateResponse> {
    const req: M.EventCreateRequest = validateRequest(this.#schemas.eventCreateRequest, input);
    return this.write((now) => eventOnce(this.#context(now), req));
  }

  async commit(reservationId: string, input: M.CommitRequest): Promise<M.CommitResponse> {
    const id = validateRequest(S.reservationId, reservationId, ['reservationId']);
    const req: M.CommitRequest = validateRequest(this.#schemas.commitRequest, input);
    return this.write((now) =>
      this.#settleOnce(
        id,
        'commit',
        req,
        now,
        (rec, budgets) => {
          const response = chargeCommit(
            budgets,
            rec.detail,
            req.actual,
            rec.overagePolicy,
            this.#includeBalances,
            rec.raised,
          );
          const committed = { ...response.charged };
          finalizeDetail(rec.detail, 'COMMITTED', now, { committed, committedMetadata: req.metadata });
          this.store.reservations.finalize(rec, now);
          return response;
        },
        (rec, response) => commitDraft(rec.detail, req, response),
      ),
    );
  }

  async release(reservationId: string, input: M.ReleaseRequest): Promise<M.ReleaseResponse> {
    const id = validateRequest(S.reservationId, reservationId, ['reservationId']);
    const req: M.ReleaseRequest = validateRequest(S.releaseRequest, input);
    return this.write((now) =>
      this.#settleOnce(
        id,
        'release',
        req,
        now,
        (rec, budgets) => {
          const response = chargeRelease(budgets, rec.detail.reserved, this.#includeBalances, rec.raised);
          finalizeDetail(rec.detail, 'RELEASED', now);
          this.store.reservations.finalize(rec, now);
          return response;
        },
        (rec, response) => releaseDraft(rec.detail, req, response),
      ),
    );
  }

  async extend(reservationId: string, input: M.ReservationExtendRequest): Promise<ExtendResponse> {
    const id = validateRequest(S.reservationId, reservationId, ['reservationId']);
    const req: M.ReservationExtendRequest = validateRequest(this.#schemas.reservationExtendRequest, input);
    return this.write((now) => {
      const answer = this.#settleOnce(
        id,
        'extend',
        req,
        now,
        (rec, budgets) => {
          checkExtendable(rec.detail, rec.extensions, this.#maxExtensions, now);
          rec.extensions += 1;
          rec.detail.expiresAtMs += req.extendByMs;
          this.store.reservations.update(rec);
          const out: ExtendResponse = { status: 'ACTIVE', expiresAtMs: rec.detail.expiresAtMs };
          if (this.#includeBalances) out.balances = budgets.map(toBalance);
          return out;
        },
        (rec, out) => extendDraft(rec.detail, req, out),
      );
      return withRemainingTtl(answer, now, this.#isActive, id);
    });
  }

  async balances(input: M.BalanceQuery): Promise<M.BalanceResponse> {
    const query: M.BalanceQuery = validateRequest(S.balanceQuery, input);
    return this.write(() => {
      const page = queryBudgets(this.store.budgets.list(query.tenant), query);
      return { balances: page.items.map(toBalance), ...pageTail(page) };
    });
  }

  async getReservation(reservationId: string): Promise<M.ReservationDetail> {
    const id = validateRequest(S.reservationId, reservationId, ['reservationId']);
    return this.write(() => {
      const rec = this.store.reservations.get(id);
      if (!rec) throw new NotFoundError(`Reservation ${id} not found`);
      if (rec.detail.status === 'EXPIRED') throw new ReservationExpiredError(`Reservation ${id} has expired`);
      return rec.detail;
    });
  }

  async listReservations(input: M.ReservationListQuery = {}): Promise<M.ReservationListResponse> {
    const query: M.ReservationListQuery = validateRequest(S.reservationListQuery, input);
    return this.write(() => {
      const page = queryReservations(this.store.reservations.list(query.tenant), query);
      return { reservations: page.items, ...pageTail(page) };
    });
  }

  async queryAudit(query?: AuditQuery): Promise<AuditPage> {
    return this.write(() => this.#trail()).query(query);
  }

  async verifyAudit(tenant: string): Promise<AuditVerification> {
    return this.write(() => this.#trail().verify(tenant));
  }

  async appendAudit(input: AuditAppend): Promise<AuditRecord> {
    const entry = validateAuditAppend(input);
    return this.write((now) => {
      const trail = this.#trail();
      const seq = trail.append({ scopes: [], ...entry, atMs: now });
      return trail.read(entry.tenant, seq) as AuditRecord;
    });
  }

  #trail(): AuditRows {
    if (!this.store.audit)
      throw new InvalidRequestError('this SqliteAuthority keeps no audit trail (audit: false)');
    return this.store.audit;
  }

  readonly #approvalLedger = approvalLedgerOf({
    store: this.store.approvals,
    atNow: (fn) => this.write(fn),
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

  async sweepExpired(): Promise<number> {
    let expired = 0;
    this.store.write(
      (now) => {
        expired = this.settleDue(now);
      },
      () => undefined,
    );
    return expired;
  }

  /**
   * `close(key)` closes a budget for good (LedgerAdmin); `close()` closes the
   * ledger file, after which every call throws SqliteUnavailableError.
   */
  close(key: BudgetKey): Promise<BudgetInfo>;
  close(): Promise<undefined>;
  async close(...args: [] | [BudgetKey]): Promise<BudgetInfo | undefined> {
    const [key] = args;
    if (key !== undefined) return this.change('close', key);
    this.store.close();
    return undefined;
  }

  // ---- internals -------------------------------------------------------------------------

  protected override settleDue(now: number): number {
    const { reservations } = this.store;
    const due = reservations.due(now);
    for (const rec of due) {
      const budgets = this.#budgetsOf(rec);
      const touches = new BudgetTouches();
      touches.touchAll(budgets);
      unreserve(budgets, rec.detail.reserved.amount, rec.raised);
      finalizeDetail(rec.detail, 'EXPIRED', now);
      reservations.finalize(rec, now);
      this.recordAudit(expireDraft(rec.detail), now, touches);
    }
    this.store.idempotency.prune(now);
    reservations.prune(now, this.#retentionMs, this.#maxFinalized);
    return due.length;
  }

  /** Commit, release and extend: core's settleOnce over the stored reservation and its budgets; `draft` is its record. */
  #settleOnce<T>(
    id: string,
    op: 'commit' | 'release' | 'extend',
    req: { idempotencyKey: string },
    now: number,
    apply: (rec: StoredReservation, budgets: BudgetState[]) => T,
    draft: (rec: StoredReservation, response: T) => AuditDraft,
  ): T {
    const rec = this.store.reservations.get(id);
    return settleOnce(this.store.idempotency, id, rec, op, req, now, (r) => {
      const budgets = this.#budgetsOf(r);
      const touches = new BudgetTouches();
      touches.touchAll(budgets);
      const response = apply(r, budgets);
      this.recordAudit(draft(r, response), now, touches);
      return response;
    });
  }

  /** The budgets a reservation charges (they never change after the reserve). */
  #budgetsOf(rec: StoredReservation): BudgetState[] {
    const unit = rec.detail.reserved.unit;
    return rec.detail.affectedScopes.map((scope) => {
      const b = this.store.budgets.find(scope, unit);
      if (!b)
        throw new Error(
          `ledger file inconsistent: ${rec.detail.reservationId} charges a missing budget ${scope} (${unit})`,
        );
      return b;
    });
  }

  readonly #isActive = (id: string) => this.store.reservations.get(id)?.detail.status === 'ACTIVE';

  /** The context of one operation at `now`; with an audit trail, it records the budgets it looks at. */
  #context(now: number): LedgerContext {
    const touches = this.store.audit && new BudgetTouches();
    return {
      records: this.store.idempotency,
      find: touches
        ? (scope, unit, persist) => {
            const stored = this.store.budgets.find(scope, unit);
            const b = stored ?? this.store.find(scope, unit, persist);
            return b && touches.touch(b, !stored && persist);
          }
        : this.store.find,
      audit: touches && ((draft) => this.recordAudit(draft, now, touches)),
      degradation: this.store.config.read().degradation,
      includeBalances: this.#includeBalances,
      isActive: this.#isActive,
      now,
      liveLimit: this.#liveLimit,
      approvals: this.store.approvals,
    };
  }
}
