/**
 * RedisAuthority: the Governor ledger on Redis. Same interface and semantics
 * as MemoryAuthority; every mutation is one Lua script (see ./lua), so each is
 * atomic across any number of processes. Inputs are validated here, exactly as
 * MemoryAuthority validates them, before anything reaches Redis.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  type Amount,
  type AmountChange,
  type Authority,
  type BalanceQuery,
  type BalanceResponse,
  BudgetClosedError,
  type BudgetDefinition,
  BudgetExceededError,
  BudgetFrozenError,
  type BudgetInfo,
  type BudgetKey,
  type BudgetListFilter,
  type BudgetStatus,
  type BudgetTemplate,
  type Caps,
  type CommitRequest,
  type CommitResponse,
  type DecisionRequest,
  type DecisionResponse,
  type DegradationPolicy,
  deriveScopes,
  type EventCreateRequest,
  type EventCreateResponse,
  GovernorError,
  IdempotencyMismatchError,
  InternalError,
  InvalidRequestError,
  type LedgerAdmin,
  MAX_AMOUNT,
  MaxExtensionsExceededError,
  type MetadataLimits,
  NotFoundError,
  OverdraftLimitExceededError,
  policySchemas as P,
  parseScope,
  type ReleaseRequest,
  type ReleaseResponse,
  type ReservationCreateRequest,
  type ReservationCreateResponse,
  type ReservationDetail,
  ReservationExpiredError,
  type ReservationExtendRequest,
  type ReservationExtendResponse,
  ReservationFinalizedError,
  type ReservationListQuery,
  type ReservationListResponse,
  schemas as S,
  type ScopeSegment,
  type Subject,
  scopeMatches,
  scopePathOf,
  tenantOfScope,
  UNITS,
  type Unit,
  UnitMismatchError,
  validateRequest,
} from '@governor/core';
import {
  type BudgetState,
  capsOf,
  maxLiveOption,
  normalizeEvent,
  normalizeReservation,
  paginate,
  queryReservations,
  remainingOf,
  scopeMatchesFilter,
  toBalance,
} from '@governor/core/ledger';
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { classifyRedisError } from './errors.js';
import { type IdempotentOperation, KeySpace } from './keys.js';
import { registerScripts, type ScriptCall, type ScriptName } from './scripts.js';

export interface RedisAuthorityOptions {
  /** An ioredis client to use, a `Redis` or a `Cluster` (not closed by `quit()`), or … */
  client?: Redis | Cluster;
  /** … a URL for a client of our own; default REDIS_URL or redis://127.0.0.1:6379, or … */
  url?: string;
  /** … the startup nodes of a Redis Cluster, e.g. `[{ host: '127.0.0.1', port: 7001 }]`, for a Cluster client of our own. */
  cluster?: ClusterNode[];
  /** Extra ioredis options for our own (single-node) client. */
  redisOptions?: RedisOptions;
  /** Extra ioredis options for our own Cluster client. */
  clusterOptions?: ClusterOptions;
  /** Prefix of every key; default `governor`. Must not contain `{` or `}`. */
  keyPrefix?: string;
  /** Extensions allowed per reservation; default unlimited. */
  maxExtensions?: number;
  /** How long answers replay for the same idempotency key (PX); default 24 h. */
  idempotencyRetentionMs?: number;
  /** How long finalized and expired reservations stay readable and listable; default 1 h. */
  reservationRetentionMs?: number;
  /** Attach balances to reserve/commit/release/extend/event answers; default true. */
  includeBalances?: boolean;
  /**
   * Most ACTIVE reservations one tenant may hold; past it a reserve is a DENY
   * with reason LIVE_RESERVATION_LIMIT. Default 100,000.
   */
  maxLiveReservationsPerTenant?: number;
  /** Bounds on metadata and `metrics.custom`: nesting depth (default 32) and JSON size (default 64 KiB). */
  metadataLimits?: Partial<MetadataLimits>;
  /**
   * How long this instance reuses the templates and degradation policy it read
   * (ms); default 1,000. Its own changes apply at once; changes made through
   * another instance reach this one within this time. 0 reads them on every call.
   */
  configCacheMs?: number;
  /**
   * TESTS ONLY. Replace Redis TIME with a clock stored in Redis under this
   * prefix (`<prefix>{config}:clock`, absolute epoch ms, shared by every
   * instance on the prefix) that only moves through `advanceClock(ms)`.
   * `startMs` sets it if it is not set yet (default 2026-01-01). Never enable
   * it in production: time would stand still.
   */
  testClock?: { startMs?: number };
}

type Outcome = Record<string, unknown> & { k: string };
type Snapshot = [string, Unit, BudgetStatus, string, string, string, string, string, string, string, string];

const MAX_EMBEDDED_TENANT = 128 - 'rsv_'.length - 1 - 36;
const RID = /^rsv_([a-zA-Z0-9_.-]+)\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LONG_RID = /^rsv_~[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TENANT_OF_SCOPE = /^tenant:([a-zA-Z0-9_.-]{1,128})(?:\/|$)/;

const fingerprintOf = (request: unknown): string =>
  createHash('sha256').update(JSON.stringify(request)).digest('hex');

/** JSON arrays that Lua's cjson encoded: an empty table comes out as `{}`. */
const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

function stateOf(s: Snapshot): BudgetState {
  const [scope, unit, status, allocated, spent, reserved, debt, od, over, caps, isolated] = s;
  const b: BudgetState = {
    scope,
    unit,
    status,
    allocated: Number(allocated),
    spent: Number(spent),
    reserved: Number(reserved),
    debt: Number(debt),
    overdraftLimit: Number(od),
    isOverLimit: over === '1',
    caps: caps ? (JSON.parse(caps) as Caps) : undefined,
  };
  if (isolated === '1') b.isolated = true;
  return b;
}

/** Our own client: a Cluster client for `cluster`, else one connection to `url`. */
/** A Redis that stops answering (kill -STOP, a partition) fails calls instead of hanging them. */
const TIMEOUTS = { connectTimeout: 5_000, commandTimeout: 5_000 };

function ownClient(options: RedisAuthorityOptions): Redis | Cluster {
  if (options.cluster) {
    if (options.url !== undefined) throw new RangeError('RedisAuthority: give `url` or `cluster`, not both');
    return new Cluster(options.cluster, {
      enableAutoPipelining: true,
      ...options.clusterOptions,
      redisOptions: { maxRetriesPerRequest: 2, ...TIMEOUTS, ...options.clusterOptions?.redisOptions },
    });
  }
  return new Redis(options.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    maxRetriesPerRequest: 2,
    enableAutoPipelining: true,
    ...TIMEOUTS,
    ...options.redisOptions,
  });
}

function infoOf(b: BudgetState): BudgetInfo {
  const info: BudgetInfo = {
    scope: b.scope,
    unit: b.unit,
    status: b.status,
    allocated: b.allocated,
    spent: b.spent,
    reserved: b.reserved,
    debt: b.debt,
    overdraftLimit: b.overdraftLimit,
    isOverLimit: b.isOverLimit,
    remaining: remainingOf(b),
  };
  if (b.caps) info.caps = b.caps;
  if (b.isolated) info.isolated = true;
  return info;
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

interface Config {
  templates: { template: BudgetTemplate; pattern: ScopeSegment[] }[];
  degradation: DegradationPolicy | undefined;
  degradationJson: string;
}

/** The Authority and LedgerAdmin on Redis. */
export class RedisAuthority implements Authority, LedgerAdmin {
  readonly client: Redis | Cluster;
  readonly keys: KeySpace;
  readonly #own: boolean;
  readonly #call: ScriptCall;
  readonly #maxExtensions: number;
  readonly #idemRetention: number;
  readonly #rsvRetention: number;
  readonly #includeBalances: boolean;
  readonly #schemas: ReturnType<typeof S.requestSchemas>;
  readonly #maxLive: number;
  readonly #testClock: { startMs?: number } | undefined;
  #clockReady: Promise<void> | undefined;
  /** Budget keys of reservations this instance made (they never change): saves a read on commit. */
  readonly #budgetKeys = new Map<string, string[]>();
  readonly #sweeping = new Map<string, Promise<number>>();
  #configCache: { raw: string; config: Config } | undefined;
  readonly #configCacheMs: number;
  #configReadAt = Number.NEGATIVE_INFINITY;
  /** Tenants this instance has registered in the tenant index already. */
  readonly #knownTenants = new Set<string>();

  constructor(options: RedisAuthorityOptions = {}) {
    this.#own = !options.client;
    this.client = options.client ?? ownClient(options);
    if (this.#own) this.client.on('error', () => {}); // surfaced per call as RedisUnavailableError
    this.keys = new KeySpace(options.keyPrefix ?? 'governor');
    this.#configCacheMs = options.configCacheMs ?? 1_000;
    this.#call = registerScripts(this.client);
    this.#maxExtensions = options.maxExtensions ?? -1;
    this.#idemRetention = options.idempotencyRetentionMs ?? 86_400_000;
    this.#rsvRetention = options.reservationRetentionMs ?? 3_600_000;
    this.#includeBalances = options.includeBalances ?? true;
    this.#schemas = S.requestSchemas(options.metadataLimits);
    this.#maxLive = maxLiveOption(options.maxLiveReservationsPerTenant);
    this.#testClock = options.testClock;
  }

  /** Close our own Redis connection (a client passed in is left open). */
  async quit(): Promise<void> {
    if (this.#own) await this.client.quit().catch(() => this.client.disconnect());
  }

  /** TESTS ONLY (needs the testClock option): move the shared test clock forward. */
  async advanceClock(ms: number): Promise<void> {
    if (!this.#testClock) throw new Error('advanceClock needs the testClock option (tests only)');
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advanceClock(ms): ms must be ≥ 0, got ${ms}`);
    await this.#testNow();
    await this.#redis(() => this.client.incrby(this.keys.clock(), Math.round(ms)));
  }

  // ---------------------------------------------------------------- runtime

  async reserve(input: ReservationCreateRequest): Promise<ReservationCreateResponse> {
    const req: ReservationCreateRequest = validateRequest(this.#schemas.reservationCreateRequest, input);
    const normalized = normalizeReservation(req);
    const mode = normalized.dryRun ? 'dry' : 'reserve';
    const rid = this.#newReservationId(req.subject.tenant);
    const scopePath = scopePathOf(req.subject);
    const detail: Record<string, unknown> = {
      reservationId: rid,
      idempotencyKey: req.idempotencyKey,
      subject: req.subject,
      action: req.action,
      reserved: req.estimate,
      scopePath,
    };
    if (req.metadata) detail.metadata = req.metadata;
    const out = await this.#evaluate('reserve', mode, req, fingerprintOf(normalized), {
      rid,
      ttl: normalized.ttlMs,
      grace: normalized.gracePeriodMs,
      policy: normalized.overagePolicy,
      detail: JSON.stringify(detail),
    });
    const response = this.#renderEvaluation(out.outcome, mode, req.estimate, scopePath);
    if (!response.reservationId || response.expiresAtMs === undefined) return response;
    // Written once the reservation exists (a rejected reserve leaves no key); a replay writes it again.
    await this.#keepTenantOf(
      response.reservationId,
      req.subject.tenant,
      normalized.ttlMs + normalized.gracePeriodMs,
    );
    if (!out.replay) {
      this.#rememberKeys(response.reservationId, out.outcome, req.estimate.unit);
      return { ...response, remainingTtlMs: normalized.ttlMs };
    }
    const status = await this.#redis(() =>
      this.client.hget(this.keys.reservation(req.subject.tenant, response.reservationId as string), 'status'),
    );
    const now = out.now;
    return {
      ...response,
      remainingTtlMs: status === 'ACTIVE' ? Math.max(0, response.expiresAtMs - now) : 0,
    };
  }

  async decide(input: DecisionRequest): Promise<DecisionResponse> {
    const req: DecisionRequest = validateRequest(this.#schemas.decisionRequest, input);
    const out = await this.#evaluate('decide', 'decide', req, fingerprintOf(req), undefined);
    const full = this.#renderEvaluation(out.outcome, 'decide', req.estimate, scopePathOf(req.subject));
    const { decision, caps, reasonCode, affectedScopes, blockedScope } = full;
    const response: DecisionResponse = { decision, affectedScopes };
    if (caps) response.caps = caps;
    if (reasonCode) Object.assign(response, { reasonCode, blockedScope });
    return response;
  }

  async commit(reservationId: string, input: CommitRequest): Promise<CommitResponse> {
    const id = validateRequest(S.reservationId, reservationId, ['reservationId']);
    const req: CommitRequest = validateRequest(this.#schemas.commitRequest, input);
    const fingerprint = fingerprintOf({ reservationId: id, ...req });
    const outcome = await this.#settle(
      id,
      'commit',
      req.idempotencyKey,
      fingerprint,
      (tenant, rkey, bkeys) => [
        [
          rkey,
          this.keys.idempotency(tenant, 'commit', req.idempotencyKey),
          this.keys.expiry(tenant),
          this.keys.finalized(tenant),
          this.keys.reservationIndex(tenant),
          ...bkeys,
        ],
        [
          fingerprint,
          this.#idemRetention,
          this.#rsvRetention,
          id,
          req.actual.unit,
          req.actual.amount,
          req.metadata ? JSON.stringify(req.metadata) : '',
          this.#includeBalances ? '1' : '0',
        ],
      ],
    );
    if (outcome.k === 'unit') {
      const detail = JSON.parse(outcome.detail as string) as { scopePath: string };
      throw new UnitMismatchError(
        `actual.unit ${req.actual.unit} differs from the reservation's unit ${outcome.unit}`,
        { scope: detail.scopePath, requested_unit: req.actual.unit, expected_units: [outcome.unit] },
      );
    }
    const unit = outcome.unit as Unit;
    const reserved = Number(outcome.reserved);
    const charged: Amount = { unit, amount: Number(outcome.charged) };
    const response: CommitResponse = { status: 'COMMITTED', charged };
    if (reserved > charged.amount) response.released = { unit, amount: reserved - charged.amount };
    if (this.#includeBalances) response.balances = this.#balancesOf(outcome.b);
    return response;
  }

  async release(reservationId: string, input: ReleaseRequest): Promise<ReleaseResponse> {
    const id = validateRequest(S.reservationId, reservationId, ['reservationId']);
    const req: ReleaseRequest = validateRequest(S.releaseRequest, input);
    const fingerprint = fingerprintOf({ reservationId: id, ...req });
    const outcome = await this.#settle(
      id,
      'release',
      req.idempotencyKey,
      fingerprint,
      (tenant, rkey, bkeys) => [
        [
          rkey,
          this.keys.idempotency(tenant, 'release', req.idempotencyKey),
          this.keys.expiry(tenant),
          this.keys.finalized(tenant),
          this.keys.reservationIndex(tenant),
          ...bkeys,
        ],
        [fingerprint, this.#idemRetention, this.#rsvRetention, id, this.#includeBalances ? '1' : '0'],
      ],
    );
    const response: ReleaseResponse = {
      status: 'RELEASED',
      released: { unit: outcome.unit as Unit, amount: Number(outcome.reserved) },
    };
    if (this.#includeBalances) response.balances = this.#balancesOf(outcome.b);
    return response;
  }

  async extend(reservationId: string, input: ReservationExtendRequest): Promise<ReservationExtendResponse> {
    const id = validateRequest(S.reservationId, reservationId, ['reservationId']);
    const req: ReservationExtendRequest = validateRequest(this.#schemas.reservationExtendRequest, input);
    const fingerprint = fingerprintOf({ reservationId: id, ...req });
    const result = await this.#settle(
      id,
      'extend',
      req.idempotencyKey,
      fingerprint,
      (tenant, rkey, bkeys) => [
        [
          rkey,
          this.keys.idempotency(tenant, 'extend', req.idempotencyKey),
          this.keys.expiry(tenant),
          ...bkeys,
        ],
        [fingerprint, this.#idemRetention, id, req.extendByMs, this.#maxExtensions],
      ],
    );
    const expiresAtMs = Number(result.exp);
    const response: ReservationExtendResponse = { status: 'ACTIVE', expiresAtMs };
    if (this.#includeBalances) response.balances = this.#balancesOf(result.b);
    const now = Number(result.now);
    return { ...response, remainingTtlMs: result.status === 'ACTIVE' ? Math.max(0, expiresAtMs - now) : 0 };
  }

  async event(input: EventCreateRequest): Promise<EventCreateResponse> {
    const req: EventCreateRequest = validateRequest(this.#schemas.eventCreateRequest, input);
    const normalized = normalizeEvent(req);
    const policy = normalized.overagePolicy;
    const fingerprint = fingerprintOf(normalized);
    const tenant = req.subject.tenant;
    const scopes = deriveScopes(req.subject);
    const unit = req.actual.unit;
    const config = await this.#config();
    const templates = scopes.map((scope) => this.#templateArg(config, scope, unit));
    await this.#registerIfTemplated(tenant, templates);
    const templateArgs = scopes.flatMap((scope, i) => [scope, templates[i] as string]);
    const outcome = await this.#withSweep(tenant, async () =>
      this.#script(
        'event',
        [
          this.keys.idempotency(tenant, 'event', req.idempotencyKey),
          this.keys.expiry(tenant),
          this.keys.budgetIndex(tenant),
          ...scopes.map((s) => this.keys.budget(tenant, s, unit)),
        ],
        [
          await this.#testNow(),
          fingerprint,
          this.#idemRetention,
          `evt_${randomUUID()}`,
          unit,
          req.actual.amount,
          policy,
          ...templateArgs,
        ],
      ),
    );
    const stored = this.#unwrap(outcome, tenant, 'event', req.idempotencyKey);
    if (stored.k === 'nobudget') {
      await this.#assertUnitKnown(config, tenant, scopes, unit);
      throw new NotFoundError(`Budget not found for provided scope: ${scopes[scopes.length - 1]}`, {
        scope: scopes[scopes.length - 1],
      });
    }
    if (stored.k === 'error') throw settlementError(stored.e as [string, string, string]);
    const charged = Number(stored.charged);
    const response: EventCreateResponse = { status: 'APPLIED', eventId: stored.id as string };
    if (charged < Number(stored.amount)) response.charged = { unit, amount: charged };
    if (this.#includeBalances) response.balances = this.#balancesOf(stored.b);
    return response;
  }

  async balances(input: BalanceQuery): Promise<BalanceResponse> {
    const query: BalanceQuery = validateRequest(S.balanceQuery, input);
    const tenants = query.tenant ? [query.tenant] : await this.#tenants();
    const rows: BudgetState[] = [];
    for (const tenant of tenants) {
      await this.#sweepTenant(tenant);
      for (const b of await this.#budgetsOf(tenant)) if (scopeMatchesFilter(b.scope, query)) rows.push(b);
    }
    rows.sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : a.unit < b.unit ? -1 : 1));
    const { cursor, limit, ...filter } = query;
    const page = paginate(rows, filter, cursor, limit);
    const tail = page.nextCursor ? { nextCursor: page.nextCursor, hasMore: true } : {};
    return { balances: page.items.map(toBalance), ...tail };
  }

  async getReservation(reservationId: string): Promise<ReservationDetail> {
    const id = validateRequest(S.reservationId, reservationId, ['reservationId']);
    const tenant = await this.#tenantOfReservation(id);
    if (tenant === undefined) throw new NotFoundError(`Reservation ${id} not found`);
    await this.#sweepTenant(tenant);
    const raw = await this.#redis(() => this.client.hgetall(this.keys.reservation(tenant, id)));
    if (!raw.detail) throw new NotFoundError(`Reservation ${id} not found`);
    const detail = detailOf(raw);
    if (detail.status === 'EXPIRED') throw new ReservationExpiredError(`Reservation ${id} has expired`);
    return detail;
  }

  async listReservations(input: ReservationListQuery = {}): Promise<ReservationListResponse> {
    const query: ReservationListQuery = validateRequest(S.reservationListQuery, input);
    const tenants = query.tenant ? [query.tenant] : await this.#tenants();
    const fast = await this.#listByCreation(tenants, query);
    if (fast) return fast;
    const details: ReservationDetail[] = [];
    for (const tenant of tenants) {
      await this.#sweepTenant(tenant);
      const index = this.keys.reservationIndex(tenant);
      const ids = await this.#redis(() => this.client.zrange(index, '0', '-1'));
      if (ids.length === 0) continue;
      const pipeline = this.client.pipeline();
      for (const id of ids) pipeline.hgetall(this.keys.reservation(tenant, id));
      const rows = await this.#redis(() => pipeline.exec());
      const gone: string[] = [];
      rows?.forEach(([error, raw], i) => {
        if (error) throw classifyRedisError(error);
        const hash = raw as Record<string, string>;
        if (hash.detail) details.push(detailOf(hash));
        else gone.push(ids[i] as string);
      });
      if (gone.length > 0) await this.#redis(() => this.client.zrem(index, ...gone));
    }
    const page = queryReservations(details, query);
    const tail = page.nextCursor ? { nextCursor: page.nextCursor, hasMore: true } : {};
    return { reservations: page.items, ...tail };
  }

  /**
   * The common listing — ordered by creation, filtered by tenant and at most
   * status ACTIVE — without loading every reservation: order and page the ids
   * from the index (same ordering and cursors as queryReservations), then
   * read only the page. Undefined when the query needs the general path.
   */
  async #listByCreation(
    tenants: string[],
    query: ReservationListQuery,
  ): Promise<ReservationListResponse | undefined> {
    const { cursor, limit, include, sortDir, status, tenant: _t, sortBy, ...rest } = query;
    if ((sortBy ?? 'created_at_ms') !== 'created_at_ms') return undefined;
    if (status !== undefined && status !== 'ACTIVE') return undefined;
    if (Object.values(rest).some((v) => v !== undefined)) return undefined;
    const rows: { id: string; tenant: string; at: number }[] = [];
    for (const tenant of tenants) {
      await this.#sweepTenant(tenant);
      const [indexed, live] = await this.#redis(async () => {
        const results = (await this.client
          .pipeline()
          .zrange(this.keys.reservationIndex(tenant), '0', '-1', 'WITHSCORES')
          .zrange(this.keys.expiry(tenant), '0', '-1')
          .exec()) as [Error | null, string[]][];
        for (const [error] of results) if (error) throw error;
        return [results[0]?.[1] ?? [], new Set(results[1]?.[1] ?? [])];
      });
      for (let i = 0; i < indexed.length; i += 2) {
        const id = indexed[i] as string;
        if (status === 'ACTIVE' && !live.has(id)) continue;
        rows.push({ id, tenant, at: Number(indexed[i + 1]) });
      }
    }
    const sign = (sortDir ?? 'desc') === 'asc' ? 1 : -1;
    rows.sort((a, b) =>
      a.at !== b.at ? (a.at < b.at ? -sign : sign) : a.id < b.id ? -sign : a.id > b.id ? sign : 0,
    );
    const { cursor: _c, limit: _l, include: _i, ...filter } = query;
    const page = paginate(rows, filter, cursor, limit);
    const hashes = await this.#hashesOf(
      page.items.map((r) => [r.tenant, this.keys.reservation(r.tenant, r.id)]),
    );
    const wanted = new Set((include ?? []).map((t) => t.trim()));
    const reservations: ReservationDetail[] = [];
    for (const hash of hashes) {
      if (!hash.detail) continue;
      const { metadata, committedMetadata, ...row } = detailOf(hash);
      reservations.push({
        ...row,
        ...(wanted.has('metadata') && metadata ? { metadata } : {}),
        ...(wanted.has('committed_metadata') && committedMetadata ? { committedMetadata } : {}),
      });
    }
    const tail = page.nextCursor ? { nextCursor: page.nextCursor, hasMore: true } : {};
    return { reservations, ...tail };
  }

  /**
   * HGETALL of `keys` (each with its tenant), in order: one pipeline per
   * tenant, since a pipeline on Redis Cluster must stay in one hash slot.
   */
  async #hashesOf(keys: [tenant: string, key: string][]): Promise<Record<string, string>[]> {
    const byTenant = new Map<string, number[]>();
    for (const [i, [tenant]] of keys.entries()) byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), i]);
    const out: Record<string, string>[] = new Array(keys.length);
    await Promise.all(
      [...byTenant.values()].map(async (indexes) => {
        const pipeline = this.client.pipeline();
        for (const i of indexes) pipeline.hgetall((keys[i] as [string, string])[1]);
        const rows = (await this.#redis(() => pipeline.exec())) ?? [];
        rows.forEach(([error, raw], j) => {
          if (error) throw classifyRedisError(error);
          out[indexes[j] as number] = raw as Record<string, string>;
        });
      }),
    );
    return out;
  }

  // ------------------------------------------------------------ admin plane

  async createBudget(input: BudgetDefinition): Promise<BudgetInfo> {
    const def = validateRequest(P.budgetDefinition, input) as BudgetDefinition;
    parseScope(def.scope);
    const tenant = tenantOfScope(def.scope);
    await this.#redis(() => this.client.sadd(this.keys.tenants(), tenant));
    const out = await this.#script(
      'budget_create',
      [this.keys.budget(tenant, def.scope, def.unit), this.keys.budgetIndex(tenant)],
      [
        def.scope,
        def.unit,
        def.allocated,
        def.overdraftLimit ?? 0,
        def.caps ? JSON.stringify(def.caps) : '',
        def.isolated ? '1' : '0',
      ],
    );
    if (out.k === 'exists') {
      throw new InvalidRequestError([
        { path: 'scope', message: `a ${def.unit} budget already exists for ${def.scope}` },
      ]);
    }
    return infoOf(stateOf(out.b as Snapshot));
  }

  fund(input: AmountChange): Promise<BudgetInfo> {
    return this.#change(P.amountChange, input, 'fund', (c) => c.amount);
  }

  debit(input: AmountChange): Promise<BudgetInfo> {
    return this.#change(P.amountChange, input, 'debit', (c) => c.amount);
  }

  setAllocation(input: AmountChange): Promise<BudgetInfo> {
    return this.#change(P.amountChange, input, 'allocation', (c) => c.amount);
  }

  setOverdraftLimit(input: AmountChange): Promise<BudgetInfo> {
    return this.#change(P.amountChange, input, 'overdraft', (c) => c.amount);
  }

  setCaps(input: BudgetKey & { caps?: Caps | undefined }): Promise<BudgetInfo> {
    return this.#change(P.capsChange, input, 'caps', (c) => (c.caps ? JSON.stringify(c.caps) : ''));
  }

  freeze(key: BudgetKey): Promise<BudgetInfo> {
    return this.#change(P.budgetKey, key, 'status', () => 'FROZEN');
  }

  unfreeze(key: BudgetKey): Promise<BudgetInfo> {
    return this.#change(P.budgetKey, key, 'status', () => 'ACTIVE');
  }

  close(key: BudgetKey): Promise<BudgetInfo> {
    return this.#change(P.budgetKey, key, 'status', () => 'CLOSED');
  }

  resetSpent(key: BudgetKey): Promise<BudgetInfo> {
    return this.#change(P.budgetKey, key, 'reset', () => '');
  }

  async getBudget(input: BudgetKey): Promise<BudgetInfo | undefined> {
    const key = validateRequest(P.budgetKey, input) as BudgetKey;
    const tenant = TENANT_OF_SCOPE.exec(key.scope)?.[1];
    if (tenant === undefined) return undefined;
    await this.#sweepTenant(tenant);
    const b = await this.#loadBudget(this.keys.budget(tenant, key.scope, key.unit));
    return b && infoOf(b);
  }

  async listBudgets(input: BudgetListFilter = {}): Promise<BudgetInfo[]> {
    const filter = validateRequest(P.budgetListFilter, input) as BudgetListFilter;
    const tenants = filter.tenant ? [filter.tenant] : await this.#tenants();
    const out: BudgetInfo[] = [];
    for (const tenant of tenants) {
      await this.#sweepTenant(tenant);
      for (const b of await this.#budgetsOf(tenant)) out.push(infoOf(b));
    }
    return out;
  }

  async addTemplate(input: BudgetTemplate): Promise<void> {
    const template = validateRequest(P.budgetTemplate, input) as BudgetTemplate;
    parseScope(template.match, { allowWildcard: true });
    checkCeiling(template.allocated + (template.overdraftLimit ?? 0));
    await this.#script(
      'config',
      [this.keys.templates(), this.keys.degradation()],
      ['template', JSON.stringify(template)],
    );
    this.#configReadAt = Number.NEGATIVE_INFINITY;
  }

  async listTemplates(): Promise<BudgetTemplate[]> {
    return (await this.#config()).templates.map((t) => structuredClone(t.template));
  }

  async setDegradationPolicy(input: DegradationPolicy | undefined): Promise<void> {
    const policy =
      input === undefined ? undefined : (validateRequest(P.degradationPolicy, input) as DegradationPolicy);
    await this.#script(
      'config',
      [this.keys.templates(), this.keys.degradation()],
      ['degradation', policy ? JSON.stringify(policy) : ''],
    );
    this.#configReadAt = Number.NEGATIVE_INFINITY;
  }

  async getDegradationPolicy(): Promise<DegradationPolicy | undefined> {
    const policy = (await this.#config()).degradation;
    return policy && structuredClone(policy);
  }

  async sweepExpired(): Promise<number> {
    let expired = 0;
    for (const tenant of await this.#tenants()) expired += await this.#sweepTenant(tenant);
    return expired;
  }

  // --------------------------------------------------------------- internals

  /** Every Redis call goes through here: connection failures become RedisUnavailableError (see classifyRedisError). */
  async #redis<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (GovernorError.isInstance(error)) throw error;
      throw classifyRedisError(error);
    }
  }

  async #script(name: ScriptName, keys: string[], args: (string | number)[]): Promise<Outcome> {
    const raw = await this.#redis(() => this.#call(name, keys, args));
    if (typeof raw !== 'string') throw new InternalError(`script ${name} answered ${typeof raw}`);
    return JSON.parse(raw) as Outcome;
  }

  /** The test clock's time as a script argument, or '' for Redis TIME. */
  async #testNow(): Promise<string> {
    if (!this.#testClock) return '';
    this.#clockReady ??= this.#redis(async () => {
      await this.client.set(
        this.keys.clock(),
        String(this.#testClock?.startMs ?? Date.UTC(2026, 0, 1)),
        'NX',
      );
    });
    await this.#clockReady;
    return (await this.#redis(() => this.client.get(this.keys.clock()))) ?? '';
  }

  /** Run `fn`; while a script reports due expiries first, sweep the tenant and run it again. */
  async #withSweep(tenant: string, fn: () => Promise<Outcome>): Promise<Outcome> {
    for (let attempt = 0; ; attempt++) {
      const out = await fn();
      if (out.k !== 'sweep') return out;
      if (attempt >= 100) throw new InternalError('expiry sweep did not settle');
      await this.#sweepTenant(tenant);
    }
  }

  /** Expire every due reservation of `tenant`; safe to run concurrently from many instances. */
  #sweepTenant(tenant: string): Promise<number> {
    const running = this.#sweeping.get(tenant);
    if (running) return running;
    const run = this.#sweepOnce(tenant).finally(() => this.#sweeping.delete(tenant));
    this.#sweeping.set(tenant, run);
    return run;
  }

  async #sweepOnce(tenant: string): Promise<number> {
    let expired = 0;
    for (;;) {
      const now = await this.#testNow();
      const due = (await this.#redis(() =>
        this.#call('due', [this.keys.expiry(tenant)], [now, 100]),
      )) as string[];
      for (const id of due) {
        const rkey = this.keys.reservation(tenant, id);
        const bkeys = await this.#reservationKeys(tenant, id, true);
        if (!bkeys) {
          await this.#redis(() => this.client.zrem(this.keys.expiry(tenant), id));
          continue;
        }
        const n = await this.#redis(() =>
          this.#call(
            'expire',
            [
              rkey,
              this.keys.expiry(tenant),
              this.keys.finalized(tenant),
              this.keys.reservationIndex(tenant),
              ...bkeys,
            ],
            [now, id, this.#rsvRetention],
          ),
        );
        if (n === 1) {
          expired += 1;
          this.#budgetKeys.delete(id);
        }
      }
      if (due.length < 100) return expired;
    }
  }

  async #tenants(): Promise<string[]> {
    return (await this.#redis(() => this.client.smembers(this.keys.tenants()))).sort();
  }

  async #budgetsOf(tenant: string): Promise<BudgetState[]> {
    const members = await this.#redis(() => this.client.smembers(this.keys.budgetIndex(tenant)));
    const out: BudgetState[] = [];
    for (const m of members.sort()) {
      const [scope, unit] = m.split('\n') as [string, Unit];
      const b = await this.#loadBudget(this.keys.budget(tenant, scope, unit));
      if (b) out.push(b);
    }
    return out;
  }

  async #loadBudget(key: string): Promise<BudgetState | undefined> {
    const v = await this.#redis(() =>
      this.client.hmget(
        key,
        'scope',
        'unit',
        'status',
        'allocated',
        'spent',
        'reserved',
        'debt',
        'overdraftLimit',
        'isOverLimit',
        'caps',
        'isolated',
      ),
    );
    if (!v[0]) return undefined;
    return stateOf(v.map((x) => x ?? '') as Snapshot);
  }

  /**
   * Add `tenant` to the tenant index when a template gives one of the call's
   * scopes a budget (the call will create it). A call no template matches
   * creates nothing, and so registers nothing: a NOT_FOUND leaves no trace.
   */
  async #registerIfTemplated(tenant: string, templates: string[]): Promise<void> {
    if (templates.some((t) => t !== '')) await this.#registerTenant(tenant);
  }

  /** Add `tenant` to the tenant index. */
  async #registerTenant(tenant: string): Promise<void> {
    if (this.#knownTenants.has(tenant)) return;
    await this.#redis(() => this.client.sadd(this.keys.tenants(), tenant));
    if (this.#knownTenants.size >= 10_000) this.#knownTenants.clear();
    this.#knownTenants.add(tenant);
  }

  async #config(): Promise<Config> {
    if (this.#configCache && performance.now() - this.#configReadAt < this.#configCacheMs) {
      return this.#configCache.config;
    }
    const readAt = performance.now();
    const [templates, degradation] = await this.#redis(async () => {
      const results = await this.client
        .pipeline()
        .lrange(this.keys.templates(), 0, -1)
        .get(this.keys.degradation())
        .exec();
      for (const [error] of results ?? []) if (error) throw error;
      return [results?.[0]?.[1] as string[], (results?.[1]?.[1] as string | null) ?? ''];
    });
    const raw = `${templates.join('\n')}\n\n${degradation}`;
    this.#configReadAt = readAt;
    if (this.#configCache?.raw === raw) return this.#configCache.config;
    const config: Config = {
      templates: templates.map((json) => {
        const template = JSON.parse(json) as BudgetTemplate;
        return { template, pattern: parseScope(template.match, { allowWildcard: true }) };
      }),
      degradation: degradation ? (JSON.parse(degradation) as DegradationPolicy) : undefined,
      degradationJson: degradation,
    };
    this.#configCache = { raw, config };
    return config;
  }

  /** The first matching template's budget for `scope`, as the scripts take it, or ''. */
  #templateArg(config: Config, scope: string, unit: Unit): string {
    for (const { template, pattern } of config.templates) {
      if (template.unit !== unit || !scopeMatches(pattern, scope)) continue;
      return `${template.allocated}\n${template.overdraftLimit ?? 0}\n${template.caps ? JSON.stringify(template.caps) : ''}`;
    }
    return '';
  }

  /** reserve, dry run or decide: one reserve.lua call (plus the rare no-budget path). */
  async #evaluate(
    op: 'reserve' | 'decide',
    mode: 'reserve' | 'dry' | 'decide',
    req: { idempotencyKey: string; subject: Subject; estimate: Amount },
    fingerprint: string,
    rsv: { rid: string; ttl: number; grace: number; policy: string; detail: string } | undefined,
  ): Promise<{ outcome: Outcome; replay: boolean; now: number }> {
    const tenant = req.subject.tenant;
    const unit = req.estimate.unit;
    const scopes = deriveScopes(req.subject);
    const config = await this.#config();
    const templates = scopes.map((scope) => this.#templateArg(config, scope, unit));
    if (mode === 'reserve') await this.#registerIfTemplated(tenant, templates);
    const idemKey = this.keys.idempotency(tenant, op, req.idempotencyKey);
    const rid = rsv?.rid ?? '';
    const out = await this.#withSweep(tenant, async () =>
      this.#script(
        'reserve',
        [
          idemKey,
          this.keys.expiry(tenant),
          this.keys.reservationIndex(tenant),
          rid ? this.keys.reservation(tenant, rid) : `${this.keys.tag(tenant)}:r:`,
          this.keys.budgetIndex(tenant),
          ...scopes.map((s) => this.keys.budget(tenant, s, unit)),
        ],
        [
          await this.#testNow(),
          mode,
          fingerprint,
          this.#idemRetention,
          rid,
          req.estimate.amount,
          rsv?.ttl ?? 0,
          rsv?.grace ?? 0,
          rsv?.policy ?? '',
          rsv?.detail ?? '',
          config.degradationJson,
          unit,
          this.#includeBalances ? '1' : '0',
          this.#maxLive,
          ...scopes.flatMap((scope, i) => [scope, templates[i] as string]),
        ],
      ),
    );
    if (out.k === 'replay' || out.k === 'mismatch') {
      const outcome = this.#unwrap(out, tenant, op, req.idempotencyKey);
      return { outcome, replay: true, now: Number(out.now) };
    }
    if (out.k !== 'nobudget') return { outcome: out, replay: false, now: Number(out.now) };
    await this.#assertUnitKnown(config, tenant, scopes, unit);
    if (mode === 'reserve') {
      throw new NotFoundError(`Budget not found for provided scope: ${scopes[scopes.length - 1]}`, {
        scope: scopes[scopes.length - 1],
      });
    }
    const denial = JSON.stringify({ k: 'ok', d: 'NONE' });
    const put = await this.#script('idem_put', [idemKey], [fingerprint, denial, this.#idemRetention]);
    return { outcome: this.#unwrap(put, tenant, op, req.idempotencyKey), replay: false, now: 0 };
  }

  /** The stored answer of a replay (or a fresh outcome as is); IDEMPOTENCY_MISMATCH on another payload. */
  #unwrap(out: Outcome, tenant: string, op: IdempotentOperation, key: string): Outcome {
    if (out.k === 'mismatch') {
      throw new IdempotencyMismatchError(
        `Idempotency key "${key}" was already used for a different ${op} request of tenant ${tenant}`,
        { idempotency_key: key, operation: op },
      );
    }
    if (out.k === 'replay') return JSON.parse(out.o as string) as Outcome;
    return out;
  }

  #renderEvaluation(
    o: Outcome,
    mode: 'reserve' | 'dry' | 'decide',
    estimate: Amount,
    scopePath: string,
  ): ReservationCreateResponse {
    if (o.d === 'NONE') {
      return {
        decision: 'DENY',
        reasonCode: 'BUDGET_NOT_FOUND',
        affectedScopes: [],
        scopePath,
        blockedScope: scopePath,
      };
    }
    const affectedScopes = list<string>(o.a);
    const pre =
      o.post === undefined
        ? list<Snapshot>(o.b).map(stateOf)
        : list<Snapshot>(o.post).map((s) => {
            const b = stateOf(s);
            b.reserved -= estimate.amount;
            return b;
          });
    if (o.d === 'DENY') {
      return {
        decision: 'DENY',
        reasonCode: o.r as ReservationCreateResponse['reasonCode'],
        blockedScope: o.s as string,
        affectedScopes,
        scopePath,
        balances: pre.map(toBalance),
      };
    }
    const degradation = o.g ? (JSON.parse(o.g as string) as DegradationPolicy) : undefined;
    const caps = capsOf(pre, degradation);
    const response: ReservationCreateResponse = {
      decision: caps ? 'ALLOW_WITH_CAPS' : 'ALLOW',
      affectedScopes,
      scopePath,
    };
    if (caps) response.caps = caps;
    if (mode !== 'reserve') {
      response.balances = pre.map(toBalance);
      return response;
    }
    Object.assign(response, {
      reservationId: o.rid as string,
      reserved: { unit: estimate.unit, amount: estimate.amount },
      expiresAtMs: Number(o.exp),
    });
    if (this.#includeBalances) response.balances = this.#balancesOf(o.post);
    return response;
  }

  #balancesOf(snapshots: unknown) {
    return list<Snapshot>(snapshots).map((s) => toBalance(stateOf(s)));
  }

  #rememberKeys(rid: string, outcome: Outcome, unit: Unit): void {
    const tenant = this.#parseTenant(rid);
    if (tenant === undefined) return;
    const keys = list<string>(outcome.a).map((scope) => this.keys.budget(tenant, scope, unit));
    if (this.#budgetKeys.size >= 100_000) {
      const oldest = this.#budgetKeys.keys().next().value;
      if (oldest !== undefined) this.#budgetKeys.delete(oldest);
    }
    this.#budgetKeys.set(rid, keys);
  }

  async #reservationKeys(tenant: string, id: string, fresh: boolean): Promise<string[] | undefined> {
    if (!fresh) {
      const cached = this.#budgetKeys.get(id);
      if (cached) return cached;
    }
    const raw = await this.#redis(() => this.client.hget(this.keys.reservation(tenant, id), 'budgetKeys'));
    if (!raw) return undefined;
    const keys = JSON.parse(raw) as string[];
    return keys;
  }

  #newReservationId(tenant: string): string {
    return tenant.length <= MAX_EMBEDDED_TENANT ? `rsv_${tenant}.${randomUUID()}` : `rsv_~${randomUUID()}`;
  }

  #parseTenant(id: string): string | undefined {
    return RID.exec(id)?.[1];
  }

  /**
   * For a tenant too long to embed in the id: the id → tenant lookup key,
   * kept `liveMs` (what is left of the reservation's life) past now plus the
   * reservation's retention and the idempotency window, so every replay finds it.
   */
  async #keepTenantOf(id: string, tenant: string, liveMs: number): Promise<void> {
    if (!LONG_RID.test(id)) return;
    const px = Math.max(0, liveMs) + 60_000 + this.#rsvRetention + this.#idemRetention;
    await this.#redis(() => this.client.set(this.keys.reservationTenant(id), tenant, 'PX', px));
  }

  /** The answer stored under an idempotency record for `fingerprint`; IDEMPOTENCY_MISMATCH for another one. */
  async #storedAnswer(key: string, fingerprint: string): Promise<Outcome | undefined> {
    const rec = await this.#redis(() => this.client.get(key));
    if (rec === null) return undefined;
    const nl = rec.indexOf('\n');
    if (rec.slice(0, nl) !== fingerprint) return { k: 'mismatch' };
    return { k: 'replay', o: rec.slice(nl + 1) };
  }

  async #tenantOfReservation(id: string): Promise<string | undefined> {
    const embedded = this.#parseTenant(id);
    if (embedded !== undefined) return embedded;
    if (!LONG_RID.test(id)) return undefined;
    return (await this.#redis(() => this.client.get(this.keys.reservationTenant(id)))) ?? undefined;
  }

  /**
   * commit, release and extend: find the reservation's tenant and budget keys,
   * run the script (sweeping first when expiries are due), map the answer.
   */
  async #settle(
    id: string,
    op: 'commit' | 'release' | 'extend',
    idempotencyKey: string,
    fingerprint: string,
    build: (tenant: string, rkey: string, bkeys: string[]) => [string[], (string | number)[]],
  ): Promise<Outcome> {
    const tenant = await this.#tenantOfReservation(id);
    if (tenant === undefined) throw new NotFoundError(`Reservation ${id} not found`);
    const rkey = this.keys.reservation(tenant, id);
    let fresh = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      const bkeys = await this.#reservationKeys(tenant, id, fresh);
      // The reservation is gone (past its retention): its answers replay for their own, longer window.
      const out = bkeys
        ? await this.#withSweep(tenant, async () => {
            const [keys, args] = build(tenant, rkey, bkeys);
            return this.#script(op, keys, [await this.#testNow(), ...args]);
          })
        : await this.#storedAnswer(this.keys.idempotency(tenant, op, idempotencyKey), fingerprint);
      if (!out) throw new NotFoundError(`Reservation ${id} not found`);
      if (out.k === 'keys') {
        fresh = true;
        continue;
      }
      if (op === 'extend' && (out.k === 'replay' || out.k === 'fresh')) {
        const stored = this.#unwrap({ ...out, k: 'replay' }, tenant, op, idempotencyKey);
        if (out.k === 'fresh') await this.#keepTenantOf(id, tenant, Number(stored.exp) - Number(out.now));
        return { ...stored, status: out.status, now: out.now };
      }
      const outcome = this.#unwrap(out, tenant, op, idempotencyKey);
      switch (outcome.k) {
        case 'ok':
          if (op !== 'extend') this.#budgetKeys.delete(id);
          await this.#keepTenantOf(id, tenant, 0);
          return outcome;
        case 'unit':
          return outcome;
        case 'notfound':
          throw new NotFoundError(`Reservation ${id} not found`);
        case 'expired':
          throw new ReservationExpiredError(`Reservation ${id} has expired`);
        case 'finalized':
          throw new ReservationFinalizedError(`Reservation ${id} is already ${outcome.status}`);
        case 'toolate':
          throw new ReservationExpiredError(
            `Reservation ${id} expired at ${outcome.exp}; extend is too late`,
          );
        case 'maxext':
          throw new MaxExtensionsExceededError(`Reservation ${id} has reached its ${outcome.max} extensions`);
        case 'error':
          throw settlementError(outcome.e as [string, string, string]);
        default:
          throw new InternalError(`unexpected ${op} outcome ${outcome.k}`);
      }
    }
    throw new InternalError(`reservation ${id} changed its budgets`);
  }

  async #change<T extends BudgetKey>(
    schema: Parameters<typeof validateRequest>[0],
    input: T,
    op: string,
    value: (change: T) => string | number,
  ): Promise<BudgetInfo> {
    const change = validateRequest(schema, input) as T;
    const tenant = TENANT_OF_SCOPE.exec(change.scope)?.[1];
    const notFound = () =>
      new NotFoundError(`No ${change.unit} budget for scope ${change.scope}`, { scope: change.scope });
    if (tenant === undefined) throw notFound();
    const out = await this.#withSweep(tenant, async () =>
      this.#script(
        'budget_update',
        [this.keys.budget(tenant, change.scope, change.unit), this.keys.expiry(tenant)],
        [await this.#testNow(), op, value(change), MAX_AMOUNT],
      ),
    );
    switch (out.k) {
      case 'ok':
        return infoOf(stateOf(out.b as Snapshot));
      case 'notfound':
        throw notFound();
      case 'ceiling':
        checkCeiling(Number.POSITIVE_INFINITY);
        throw new InternalError('unreachable');
      case 'debit':
        throw new InvalidRequestError([
          { path: 'amount', message: `must be at most the remaining ${out.remaining} of ${out.scope}` },
        ]);
      case 'closed':
        throw new InvalidRequestError([
          { path: 'scope', message: `budget ${out.scope} (${out.unit}) is closed for good` },
        ]);
      default:
        throw new InternalError(`unexpected budget_update outcome ${out.k}`);
    }
  }

  /** UNIT_MISMATCH when a derived scope has budgets (or templates) only in other units. */
  async #assertUnitKnown(config: Config, tenant: string, scopes: string[], unit: Unit): Promise<void> {
    for (const scope of scopes) {
      const others = UNITS.filter((u) => u !== unit);
      const exists = await this.#redis(async () => {
        const p = this.client.pipeline();
        for (const u of others) p.exists(this.keys.budget(tenant, scope, u));
        const results = (await p.exec()) ?? [];
        return results.map(([error, n]) => {
          if (error) throw error;
          return n === 1;
        });
      });
      const expected = others.filter((u, i) => exists[i] || this.#templateArg(config, scope, u) !== '');
      if (expected.length > 0) {
        throw new UnitMismatchError(
          `No ${unit} budget for the subject's scopes; ${scope} has budgets in ${expected.join(', ')}`,
          { scope, requested_unit: unit, expected_units: expected },
        );
      }
    }
  }
}

function settlementError([code, message, scope]: [string, string, string]): GovernorError {
  switch (code) {
    case 'BUDGET_EXCEEDED':
      return new BudgetExceededError(message, { scope });
    case 'OVERDRAFT_LIMIT_EXCEEDED':
      return new OverdraftLimitExceededError(message, { scope });
    case 'BUDGET_FROZEN':
      return new BudgetFrozenError(message, { scope });
    case 'BUDGET_CLOSED':
      return new BudgetClosedError(message, { scope });
    default:
      return new InternalError(`${code}: ${message}`);
  }
}

function detailOf(raw: Record<string, string>): ReservationDetail {
  const base = JSON.parse(raw.detail as string) as ReservationDetail;
  const detail: ReservationDetail = {
    ...base,
    status: raw.status as ReservationDetail['status'],
    createdAtMs: Number(raw.createdAt),
    expiresAtMs: Number(raw.expiresAt),
    affectedScopes: list<string>(JSON.parse(raw.affected as string)),
  };
  if (raw.finalizedAt) detail.finalizedAtMs = Number(raw.finalizedAt);
  if (raw.committed) detail.committed = { unit: raw.unit as Unit, amount: Number(raw.committed) };
  if (raw.committedMetadata) detail.committedMetadata = JSON.parse(raw.committedMetadata);
  return detail;
}
