/**
 * RedisAuthority: the Governor ledger on Redis. Same interface and semantics
 * as MemoryAuthority; every mutation is one Lua script (see ./lua), so each is
 * atomic across any number of processes. Inputs are validated here, exactly as
 * MemoryAuthority validates them, before anything reaches Redis.
 *
 * The work is done by its planes, which share one set of LedgerParts: the
 * runtime (reserve, decide, event), settlement (commit, release, extend),
 * listing (balances and reservations) and the admin plane.
 */

import type {
  AmountChange,
  Approval,
  ApprovalDecision,
  ApprovalLedger,
  ApprovalQuery,
  ApprovalRequest,
  AuditPage,
  AuditQuery,
  AuditRecord,
  AuditTrail,
  AuditVerification,
  AuditWriter,
  Authority,
  BalanceQuery,
  BalanceResponse,
  BudgetDefinition,
  BudgetInfo,
  BudgetKey,
  BudgetListFilter,
  BudgetTemplate,
  Caps,
  CommitRequest,
  CommitResponse,
  DecisionRequest,
  DecisionResponse,
  DegradationPolicy,
  EventCreateRequest,
  EventCreateResponse,
  LedgerAdmin,
  ReleaseRequest,
  ReleaseResponse,
  ReservationCreateRequest,
  ReservationCreateResponse,
  ReservationDetail,
  ReservationExtendRequest,
  ReservationExtendResponse,
  ReservationListQuery,
  ReservationListResponse,
} from '@governor/core';
import type { AuditAppend } from '@governor/core/ledger';
import type { Cluster, Redis } from 'ioredis';
import { RedisAdmin } from './admin.js';
import { RedisApprovals } from './approvals.js';
import { RedisAuditTrail } from './audit-trail.js';
import { KeySpace } from './keys.js';
import { type LedgerParts, ledgerParts } from './ledger-parts.js';
import { RedisListing } from './listing.js';
import { ownClient, type RedisAuthorityOptions } from './options.js';
import { RedisRuntime } from './runtime.js';
import { RedisSettlement } from './settlement.js';

export type { RedisAuthorityOptions } from './options.js';

/** The Authority and LedgerAdmin on Redis. */
export class RedisAuthority implements Authority, LedgerAdmin, AuditTrail, AuditWriter, ApprovalLedger {
  readonly client: Redis | Cluster;
  readonly keys: KeySpace;
  readonly #own: boolean;
  readonly #parts: LedgerParts;
  readonly #runtime: RedisRuntime;
  readonly #settlement: RedisSettlement;
  readonly #listing: RedisListing;
  readonly #admin: RedisAdmin;
  readonly #audit: RedisAuditTrail;
  readonly #approvals: RedisApprovals;

  constructor(options: RedisAuthorityOptions = {}) {
    this.#own = !options.client;
    this.client = options.client ?? ownClient(options);
    if (this.#own) this.client.on('error', () => {}); // surfaced per call as RedisUnavailableError
    this.keys = new KeySpace(options.keyPrefix ?? 'governor');
    this.#parts = ledgerParts(this.client, this.keys, options);
    this.#runtime = new RedisRuntime(this.#parts);
    this.#settlement = new RedisSettlement(this.#parts);
    this.#listing = new RedisListing(this.#parts);
    this.#admin = new RedisAdmin(this.#parts);
    this.#audit = new RedisAuditTrail(this.#parts);
    this.#approvals = new RedisApprovals(this.#parts);
  }

  /** Close our own Redis connection (a client passed in is left open). */
  async quit(): Promise<void> {
    if (this.#own) await this.client.quit().catch(() => this.client.disconnect());
  }

  /** TESTS ONLY (needs the testClock option): move the shared test clock forward. */
  advanceClock(ms: number): Promise<void> {
    return this.#parts.calls.advanceClock(ms);
  }

  // ---------------------------------------------------------------- runtime

  reserve(input: ReservationCreateRequest): Promise<ReservationCreateResponse> {
    return this.#runtime.reserve(input);
  }

  decide(input: DecisionRequest): Promise<DecisionResponse> {
    return this.#runtime.decide(input);
  }

  commit(reservationId: string, input: CommitRequest): Promise<CommitResponse> {
    return this.#settlement.commit(reservationId, input);
  }

  release(reservationId: string, input: ReleaseRequest): Promise<ReleaseResponse> {
    return this.#settlement.release(reservationId, input);
  }

  extend(reservationId: string, input: ReservationExtendRequest): Promise<ReservationExtendResponse> {
    return this.#settlement.extend(reservationId, input);
  }

  event(input: EventCreateRequest): Promise<EventCreateResponse> {
    return this.#runtime.event(input);
  }

  balances(input: BalanceQuery): Promise<BalanceResponse> {
    return this.#listing.balances(input);
  }

  getReservation(reservationId: string): Promise<ReservationDetail> {
    return this.#listing.getReservation(reservationId);
  }

  listReservations(input: ReservationListQuery = {}): Promise<ReservationListResponse> {
    return this.#listing.listReservations(input);
  }

  // ------------------------------------------------------------ admin plane

  createBudget(input: BudgetDefinition): Promise<BudgetInfo> {
    return this.#admin.createBudget(input);
  }

  fund(input: AmountChange): Promise<BudgetInfo> {
    return this.#admin.fund(input);
  }

  debit(input: AmountChange): Promise<BudgetInfo> {
    return this.#admin.debit(input);
  }

  setAllocation(input: AmountChange): Promise<BudgetInfo> {
    return this.#admin.setAllocation(input);
  }

  setOverdraftLimit(input: AmountChange): Promise<BudgetInfo> {
    return this.#admin.setOverdraftLimit(input);
  }

  setCaps(input: BudgetKey & { caps?: Caps | undefined }): Promise<BudgetInfo> {
    return this.#admin.setCaps(input);
  }

  freeze(key: BudgetKey): Promise<BudgetInfo> {
    return this.#admin.setStatus(key, 'FROZEN');
  }

  unfreeze(key: BudgetKey): Promise<BudgetInfo> {
    return this.#admin.setStatus(key, 'ACTIVE');
  }

  close(key: BudgetKey): Promise<BudgetInfo> {
    return this.#admin.setStatus(key, 'CLOSED');
  }

  resetSpent(key: BudgetKey): Promise<BudgetInfo> {
    return this.#admin.resetSpent(key);
  }

  getBudget(input: BudgetKey): Promise<BudgetInfo | undefined> {
    return this.#admin.getBudget(input);
  }

  listBudgets(input: BudgetListFilter = {}): Promise<BudgetInfo[]> {
    return this.#admin.listBudgets(input);
  }

  addTemplate(input: BudgetTemplate): Promise<void> {
    return this.#admin.addTemplate(input);
  }

  listTemplates(): Promise<BudgetTemplate[]> {
    return this.#admin.listTemplates();
  }

  setDegradationPolicy(input: DegradationPolicy | undefined): Promise<void> {
    return this.#admin.setDegradationPolicy(input);
  }

  getDegradationPolicy(): Promise<DegradationPolicy | undefined> {
    return this.#admin.getDegradationPolicy();
  }

  // ------------------------------------------------------------ audit trail

  queryAudit(query?: AuditQuery): Promise<AuditPage> {
    return this.#audit.query(query);
  }

  verifyAudit(tenant: string): Promise<AuditVerification> {
    return this.#audit.verify(tenant);
  }

  appendAudit(entry: AuditAppend): Promise<AuditRecord> {
    return this.#audit.append(entry);
  }

  /** Expire every due reservation of every tenant; how many expired. */
  // ---------------------------------------------------------------- approvals

  requestApproval(request: ApprovalRequest): Promise<Approval> {
    return this.#approvals.request(request);
  }

  findApproval(tenant: string, key: string): Promise<Approval | undefined> {
    return this.#approvals.find(tenant, key);
  }

  getApproval(tenant: string, approvalId: string): Promise<Approval> {
    return this.#approvals.get(tenant, approvalId);
  }

  listApprovals(query?: ApprovalQuery): Promise<Approval[]> {
    return this.#approvals.list(query);
  }

  decideApproval(decision: ApprovalDecision): Promise<Approval> {
    return this.#approvals.decide(decision);
  }

  async sweepExpired(): Promise<number> {
    const { sweep, tenants } = this.#parts;
    let expired = 0;
    for (const tenant of await tenants.all()) expired += await sweep.tenant(tenant);
    return expired;
  }
}
