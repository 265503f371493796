/**
 * Wire contract: the messages MemoryAuthority really sends and answers, put on
 * the wire with `toWire`, must validate against the Cycles Protocol v0 OpenAPI
 * schemas; `fromWire` must bring them back exactly; thrown errors must carry
 * the spec's code/status pairs; core's enums must be the spec's enums.
 *
 * The OpenAPI document is read at test time from `../shared/spec/` (next to the
 * repository root), never copied into the project.
 */
import {
  type Amount,
  type BalanceQuery,
  type BalanceResponse,
  type CommitRequest,
  type CommitResponse,
  type DecisionRequest,
  type DecisionResponse,
  ERROR_CODES,
  ERROR_STATUS,
  type ErrorCode,
  type EventCreateRequest,
  type EventCreateResponse,
  fromWire,
  GovernorError,
  ManualClock,
  MemoryAuthority,
  OVERAGE_POLICIES,
  RESERVATION_STATUSES,
  type ReleaseRequest,
  type ReleaseResponse,
  type ReservationCreateRequest,
  type ReservationCreateResponse,
  type ReservationDetail,
  type ReservationExtendRequest,
  type ReservationExtendResponse,
  type ReservationListQuery,
  type ReservationListResponse,
  type Subject,
  toWire,
  UNITS,
  type Unit,
  USD,
} from '@governor/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Contract, loadContract } from './support/openapi.js';

// ---- what the scenario records -------------------------------------------------------------

const SCHEMAS = [
  'ReservationCreateRequest',
  'ReservationCreateResponse',
  'CommitRequest',
  'CommitResponse',
  'ReleaseRequest',
  'ReleaseResponse',
  'ReservationExtendRequest',
  'ReservationExtendResponse',
  'DecisionRequest',
  'DecisionResponse',
  'EventCreateRequest',
  'EventCreateResponse',
  'BalanceResponse',
  'ReservationDetail',
  'ReservationListResponse',
] as const;
type SchemaName = (typeof SCHEMAS)[number];

/** One message the test sent or got, in camelCase, under the schema its wire form must satisfy. */
interface Exchange {
  schema: SchemaName;
  label: string;
  message: Record<string, unknown>;
}

/** A reserve: its request and response, paired (some spec rules depend on `dry_run`). */
interface ReservePair {
  label: string;
  request: ReservationCreateRequest;
  response: ReservationCreateResponse;
}

type Json = Record<string, unknown>;

const usd = (dollars: number): Amount => ({ unit: 'USD_MICROCENTS', amount: Math.round(dollars * USD) });
const points = (amount: number): Amount => ({ unit: 'RISK_POINTS', amount });

/** Reserve-time and commit-time metadata: camelCase and snake_case keys, nested, all user data. */
const META = {
  someCamelKey: 'camel',
  some_snake_key: 'snake',
  nestedMap: { innerCamelKey: 1, inner_snake_key: [{ deepCamelKey: true, deep_snake_key: null }] },
};
const CUSTOM_METRICS = { someCamelKey: 0.5, some_snake_key: 'us-east-1', cacheStats: { hitRatio: 0.25 } };
const DIMENSIONS = { cost_center: 'cc-7', region: 'eu-west' };

/** The run the incident is about: tenant → workflow → run → agent, plus free dimensions. */
const RUN: Subject = {
  tenant: 'acme',
  workflow: 'support',
  run: '4821',
  agent: 'triager',
  dimensions: DIMENSIONS,
};
const RUN_EMAIL: Subject = { tenant: 'acme', workflow: 'support', run: '4821', toolset: 'email' };
const TRIAGE: Subject = { tenant: 'acme', workflow: 'triage' };
const PROD: Subject = { tenant: 'acme', workspace: 'prod' };
const GLOBEX: Subject = { tenant: 'globex', app: 'billing' };

const LLM = { kind: 'llm.completion', name: 'openai:gpt-4o', tags: ['prod', 'customer-facing'] };
const EMAIL = { kind: 'message.email', name: 'send_email' };
const SEARCH = { kind: 'tool.call', name: 'search_kb' };

/** Drives MemoryAuthority and records every request it sends and every response it gets. */
class RecordingClient {
  readonly exchanges: Exchange[] = [];
  readonly reserves: ReservePair[] = [];
  constructor(readonly authority: MemoryAuthority) {}

  #record<T extends object>(schema: SchemaName, label: string, message: T): T {
    this.exchanges.push({ schema, label, message: structuredClone(message) as Record<string, unknown> });
    return message;
  }

  async reserve(label: string, request: ReservationCreateRequest): Promise<ReservationCreateResponse> {
    this.#record('ReservationCreateRequest', label, request);
    const response = this.#record('ReservationCreateResponse', label, await this.authority.reserve(request));
    this.reserves.push({ label, request: structuredClone(request), response: structuredClone(response) });
    return response;
  }

  async reserveId(label: string, request: ReservationCreateRequest): Promise<string> {
    const response = await this.reserve(label, request);
    if (!response.reservationId)
      throw new Error(`${label}: expected a reservation, got ${JSON.stringify(response)}`);
    return response.reservationId;
  }

  async commit(label: string, id: string, request: CommitRequest): Promise<CommitResponse> {
    this.#record('CommitRequest', label, request);
    return this.#record('CommitResponse', label, await this.authority.commit(id, request));
  }

  async release(label: string, id: string, request: ReleaseRequest): Promise<ReleaseResponse> {
    this.#record('ReleaseRequest', label, request);
    return this.#record('ReleaseResponse', label, await this.authority.release(id, request));
  }

  async extend(
    label: string,
    id: string,
    request: ReservationExtendRequest,
  ): Promise<ReservationExtendResponse> {
    this.#record('ReservationExtendRequest', label, request);
    return this.#record('ReservationExtendResponse', label, await this.authority.extend(id, request));
  }

  async decide(label: string, request: DecisionRequest): Promise<DecisionResponse> {
    this.#record('DecisionRequest', label, request);
    return this.#record('DecisionResponse', label, await this.authority.decide(request));
  }

  async event(label: string, request: EventCreateRequest): Promise<EventCreateResponse> {
    this.#record('EventCreateRequest', label, request);
    return this.#record('EventCreateResponse', label, await this.authority.event(request));
  }

  async balances(label: string, query: BalanceQuery): Promise<BalanceResponse> {
    return this.#record('BalanceResponse', label, await this.authority.balances(query));
  }

  async getReservation(label: string, id: string): Promise<ReservationDetail> {
    return this.#record('ReservationDetail', label, await this.authority.getReservation(id));
  }

  async listReservations(label: string, query: ReservationListQuery): Promise<ReservationListResponse> {
    return this.#record('ReservationListResponse', label, await this.authority.listReservations(query));
  }

  /** Record a request that the authority is expected to refuse; returns the typed error. */
  async refused(
    label: string,
    schema: SchemaName | undefined,
    request: object | undefined,
    call: () => Promise<unknown>,
  ) {
    if (schema && request) this.#record(schema, label, request);
    let result: unknown;
    try {
      result = await call();
    } catch (error) {
      if (error instanceof GovernorError) return error;
      throw error;
    }
    throw new Error(`${label}: expected a GovernorError, got ${JSON.stringify(result)}`);
  }

  of(schema: SchemaName): Exchange[] {
    return this.exchanges.filter((e) => e.schema === schema);
  }

  one<T>(schema: SchemaName, label: string): T {
    const found = this.exchanges.find((e) => e.schema === schema && e.label === label);
    if (!found) throw new Error(`no ${schema} recorded as "${label}"`);
    return found.message as T;
  }
}

interface Scenario {
  client: RecordingClient;
  errors: Partial<Record<ErrorCode, GovernorError>>;
  ids: Record<string, string>;
}

/**
 * One realistic session against an embedded ledger: budgets on tenant,
 * workflow and run scopes (one from a template), a RISK_POINTS budget, static
 * caps, a degradation policy and an overdraft; then every runtime operation,
 * including the ones that must fail.
 */
async function runScenario(): Promise<Scenario> {
  const clock = new ManualClock();
  const authority = new MemoryAuthority({ clock });
  const client = new RecordingClient(authority);
  const errors: Scenario['errors'] = {};
  const ids: Record<string, string> = {};
  const keep = (e: GovernorError) => {
    errors[e.code] = e;
  };

  await authority.createBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: 100 * USD });
  await authority.createBudget({
    scope: 'tenant:acme/workflow:support',
    unit: 'USD_MICROCENTS',
    allocated: 10 * USD,
  });
  await authority.createBudget({
    scope: 'tenant:acme/workflow:support/run:4821',
    unit: 'USD_MICROCENTS',
    allocated: 2 * USD,
  });
  await authority.createBudget({
    scope: 'tenant:acme/workflow:support/run:4821',
    unit: 'RISK_POINTS',
    allocated: 200,
  });
  await authority.createBudget({
    scope: 'tenant:acme/workflow:triage',
    unit: 'USD_MICROCENTS',
    allocated: 5 * USD,
    caps: { toolDenylist: ['deploy_service'], maxStepsRemaining: 8 },
  });
  await authority.addTemplate({
    match: 'tenant:acme/workflow:support/run:*',
    unit: 'USD_MICROCENTS',
    allocated: 2 * USD,
  });
  await authority.createBudget({
    scope: 'tenant:globex',
    unit: 'USD_MICROCENTS',
    allocated: 1 * USD,
    overdraftLimit: Math.round(0.5 * USD),
  });
  await authority.setDegradationPolicy({
    units: ['USD_MICROCENTS'],
    tiers: [
      { atPercent: 80, caps: { maxTokens: 256 } },
      { atPercent: 95, caps: { toolAllowlist: ['search_kb'], cooldownMs: 1_000 } },
    ],
  });

  // ALLOW, then a commit below the estimate (released) and one above it (overage).
  ids.r1 = await client.reserveId('reserve ALLOW', {
    idempotencyKey: 'rsv-1',
    subject: RUN,
    action: LLM,
    estimate: usd(0.5),
    ttlMs: 30_000,
    gracePeriodMs: 5_000,
    overagePolicy: 'ALLOW_IF_AVAILABLE',
    dryRun: false,
    metadata: META,
  });
  await client.commit('commit with released', ids.r1, {
    idempotencyKey: 'commit-1',
    actual: usd(0.3),
    metrics: {
      tokensInput: 1_200,
      tokensOutput: 300,
      latencyMs: 850,
      modelVersion: 'gpt-4o-2024-08-06',
      custom: CUSTOM_METRICS,
    },
    metadata: META,
  });
  ids.r2 = await client.reserveId('reserve ALLOW (minimal)', {
    idempotencyKey: 'rsv-2',
    subject: RUN,
    action: LLM,
    estimate: usd(0.2),
  });
  await client.commit('commit with overage', ids.r2, { idempotencyKey: 'commit-2', actual: usd(0.25) });

  // Heartbeat: extend, then release.
  ids.r3 = await client.reserveId('reserve for extend', {
    idempotencyKey: 'rsv-3',
    subject: RUN,
    action: LLM,
    estimate: usd(0.1),
    ttlMs: 10_000,
  });
  clock.advance(5_000);
  await client.extend('extend', ids.r3, {
    idempotencyKey: 'extend-1',
    extendByMs: 10_000,
    metadata: { beat: 1 },
  });
  clock.advance(1_000);
  await client.release('release with reason', ids.r3, {
    idempotencyKey: 'release-1',
    reason: 'tool call failed',
  });

  // Spend the run to 82.5 % of its $2: the 80 % degradation tier applies from here on.
  ids.r4 = await client.reserveId('reserve ALLOW (large)', {
    idempotencyKey: 'rsv-4',
    subject: RUN,
    action: LLM,
    estimate: usd(1.2),
  });
  await client.commit('commit with released (large)', ids.r4, {
    idempotencyKey: 'commit-4',
    actual: usd(1.1),
  });
  ids.r5 = await client.reserveId('reserve ALLOW_WITH_CAPS (degradation)', {
    idempotencyKey: 'rsv-5',
    subject: RUN,
    action: LLM,
    estimate: usd(0.1),
    ttlMs: 3_600_000,
    metadata: META,
  });
  ids.r6 = await client.reserveId('reserve to expire', {
    idempotencyKey: 'rsv-6',
    subject: RUN,
    action: LLM,
    estimate: usd(0.01),
    ttlMs: 1_000,
    gracePeriodMs: 0,
  });

  // Dry runs and a live denial.
  await client.reserve('dry-run ALLOW_WITH_CAPS', {
    idempotencyKey: 'dry-1',
    subject: RUN,
    action: LLM,
    estimate: usd(0.05),
    dryRun: true,
  });
  await client.reserve('dry-run DENY', {
    idempotencyKey: 'dry-2',
    subject: RUN,
    action: LLM,
    estimate: usd(1),
    dryRun: true,
  });
  await client.reserve('dry-run ALLOW', {
    idempotencyKey: 'dry-3',
    subject: PROD,
    action: LLM,
    estimate: usd(1),
    dryRun: true,
  });
  await client.reserve('dry-run DENY BUDGET_NOT_FOUND', {
    idempotencyKey: 'dry-4',
    subject: { tenant: 'initech' },
    action: LLM,
    estimate: usd(1),
    dryRun: true,
  });
  await client.reserve('non-dry DENY', {
    idempotencyKey: 'rsv-deny',
    subject: RUN,
    action: LLM,
    estimate: usd(1),
  });

  // Static caps.
  ids.triage = await client.reserveId('reserve ALLOW_WITH_CAPS (static caps)', {
    idempotencyKey: 'rsv-triage',
    subject: TRIAGE,
    action: SEARCH,
    estimate: usd(0.01),
  });
  await client.commit('commit exact', ids.triage, { idempotencyKey: 'commit-triage', actual: usd(0.01) });

  // Decide.
  await client.decide('decide ALLOW', {
    idempotencyKey: 'decide-1',
    subject: PROD,
    action: LLM,
    estimate: usd(1),
    metadata: META,
  });
  await client.decide('decide ALLOW_WITH_CAPS', {
    idempotencyKey: 'decide-2',
    subject: RUN,
    action: LLM,
    estimate: usd(0.01),
  });
  await client.decide('decide DENY', {
    idempotencyKey: 'decide-3',
    subject: RUN,
    action: LLM,
    estimate: usd(5),
  });

  // Risk points on the email toolset of the run.
  ids.email = await client.reserveId('reserve RISK_POINTS', {
    idempotencyKey: 'rsv-email',
    subject: RUN_EMAIL,
    action: EMAIL,
    estimate: points(1),
  });
  await client.commit('commit RISK_POINTS', ids.email, { idempotencyKey: 'commit-email', actual: points(1) });
  await client.event('event not capped', {
    idempotencyKey: 'event-1',
    subject: RUN_EMAIL,
    action: EMAIL,
    actual: points(1),
    metrics: { latencyMs: 40, custom: CUSTOM_METRICS },
    clientTimeMs: clock.now() - 250,
    metadata: META,
  });

  // A budget materialised from the run template.
  ids.r9000 = await client.reserveId('reserve on a templated run', {
    idempotencyKey: 'rsv-9000',
    subject: { tenant: 'acme', workflow: 'support', run: '9000' },
    action: LLM,
    estimate: usd(0.1),
  });
  await client.release('release', ids.r9000, { idempotencyKey: 'release-9000' });

  // Overdraft: a commit past the remaining budget becomes debt (remaining goes negative).
  ids.globex = await client.reserveId('reserve ALLOW_WITH_OVERDRAFT', {
    idempotencyKey: 'rsv-globex',
    subject: GLOBEX,
    action: LLM,
    estimate: usd(0.8),
    overagePolicy: 'ALLOW_WITH_OVERDRAFT',
  });
  await client.commit('commit into overdraft', ids.globex, {
    idempotencyKey: 'commit-globex',
    actual: usd(1.2),
  });

  // Errors, each provoked for real.
  keep(await provokeBudgetExceeded(client));
  keep(
    await client.refused('get unknown reservation', undefined, undefined, () =>
      authority.getReservation('rsv_does_not_exist'),
    ),
  );
  const finalizeAgain: ReleaseRequest = { idempotencyKey: 'release-after-commit' };
  keep(
    await client.refused('release a committed reservation', 'ReleaseRequest', finalizeAgain, () =>
      authority.release(ids.r1 as string, finalizeAgain),
    ),
  );
  const wrongUnit: CommitRequest = {
    idempotencyKey: 'commit-wrong-unit',
    actual: { unit: 'TOKENS', amount: 500 },
  };
  keep(
    await client.refused('commit in another unit', 'CommitRequest', wrongUnit, () =>
      authority.commit(ids.r5 as string, wrongUnit),
    ),
  );
  const keyReuse: ReservationCreateRequest = {
    idempotencyKey: 'rsv-1',
    subject: RUN,
    action: LLM,
    estimate: usd(0.7),
  };
  keep(
    await client.refused('reserve reusing a key', 'ReservationCreateRequest', keyReuse, () =>
      authority.reserve(keyReuse),
    ),
  );
  clock.advance(2_000);
  const late: CommitRequest = { idempotencyKey: 'commit-6', actual: usd(0.01) };
  keep(
    await client.refused('commit after expiry', 'CommitRequest', late, () =>
      authority.commit(ids.r6 as string, late),
    ),
  );

  // The capped event spends what is left of the run and marks it over limit.
  await client.event('event capped', {
    idempotencyKey: 'event-2',
    subject: RUN,
    action: LLM,
    actual: usd(1),
  });

  // Reads.
  await client.balances('balances of acme', { tenant: 'acme', includeChildren: true });
  const page1 = await client.balances('balances page 1', { tenant: 'acme', includeChildren: true, limit: 2 });
  await client.balances('balances page 2', {
    tenant: 'acme',
    includeChildren: true,
    limit: 2,
    cursor: page1.nextCursor,
  });
  await client.balances('balances in overdraft', { tenant: 'globex' });
  await client.getReservation('detail ACTIVE', ids.r5);
  await client.getReservation('detail COMMITTED', ids.r1);
  await client.getReservation('detail RELEASED', ids.r3);
  await client.listReservations('list', { tenant: 'acme' });
  await client.listReservations('list with metadata', {
    tenant: 'acme',
    include: ['metadata', 'committed_metadata'],
  });
  await client.listReservations('list EXPIRED', { status: 'EXPIRED' });
  const rows1 = await client.listReservations('list page 1', {
    tenant: 'acme',
    sortBy: 'reserved',
    sortDir: 'asc',
    limit: 2,
  });
  await client.listReservations('list page 2', {
    tenant: 'acme',
    sortBy: 'reserved',
    sortDir: 'asc',
    limit: 2,
    cursor: rows1.nextCursor,
  });

  return { client, errors, ids };
}

/** BUDGET_EXCEEDED (409): an event under REJECT that the run budget cannot cover. */
async function provokeBudgetExceeded(client: RecordingClient): Promise<GovernorError> {
  const request: EventCreateRequest = {
    idempotencyKey: 'event-reject',
    subject: RUN,
    action: LLM,
    actual: usd(5),
    overagePolicy: 'REJECT',
  };
  return client.refused('event REJECT over budget', 'EventCreateRequest', request, () =>
    client.authority.event(request),
  );
}

// ---- helpers over wire JSON ----------------------------------------------------------------

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function withoutBlockedScope(message: Json): Json {
  const { blockedScope: _dropped, ...rest } = message;
  return rest;
}

/** Subjects carried by a message (camelCase or wire): `subject`, and each listed reservation's. */
function subjectsOf(message: Json): Json[] {
  const out: Json[] = [];
  if (isObject(message.subject)) out.push(message.subject);
  if (Array.isArray(message.reservations)) {
    for (const row of message.reservations) if (isObject(row) && isObject(row.subject)) out.push(row.subject);
  }
  return out;
}

/** Balances carried by a wire message. */
function balancesOf(wire: Json): Json[] {
  return Array.isArray(wire.balances) ? (wire.balances as Json[]) : [];
}

function describeFailure(label: string, wire: unknown, errors: string): string {
  return `${label}\n${errors}\nwire: ${JSON.stringify(wire)}`;
}

// ---- the tests -----------------------------------------------------------------------------

let contract: Contract;
let scenario: Scenario;

beforeAll(async () => {
  contract = loadContract();
  scenario = await runScenario();
});

describe('wire contract: real MemoryAuthority messages against the Cycles Protocol v0 schemas', () => {
  it('the scenario produced every variant the contract covers', () => {
    const { client } = scenario;
    const reserve = (label: string) =>
      client.one<ReservationCreateResponse>('ReservationCreateResponse', label);
    expect(reserve('reserve ALLOW').decision).toBe('ALLOW');
    expect(reserve('reserve ALLOW_WITH_CAPS (degradation)')).toMatchObject({
      decision: 'ALLOW_WITH_CAPS',
      caps: { maxTokens: 256 },
    });
    expect(reserve('reserve ALLOW_WITH_CAPS (static caps)')).toMatchObject({
      decision: 'ALLOW_WITH_CAPS',
      caps: { toolDenylist: ['deploy_service'], maxStepsRemaining: 8 },
    });
    expect(reserve('dry-run DENY')).toMatchObject({ decision: 'DENY', reasonCode: 'BUDGET_EXCEEDED' });
    expect(reserve('non-dry DENY')).toMatchObject({ decision: 'DENY', reasonCode: 'BUDGET_EXCEEDED' });
    expect(reserve('reserve RISK_POINTS').reserved).toEqual(points(1));

    const commit = (label: string) => client.one<CommitResponse>('CommitResponse', label);
    expect(commit('commit with released')).toMatchObject({ charged: usd(0.3), released: usd(0.2) });
    expect(commit('commit with overage').charged).toEqual(usd(0.25));
    expect(commit('commit with overage').released).toBeUndefined();
    expect(commit('commit into overdraft').balances?.[0]?.debt?.amount).toBeGreaterThan(0);

    expect(
      client.one<EventCreateResponse>('EventCreateResponse', 'event not capped').charged,
    ).toBeUndefined();
    const capped = client.one<EventCreateResponse>('EventCreateResponse', 'event capped');
    expect(capped.charged?.amount).toBeLessThan(usd(1).amount);

    const decide = (label: string) => client.one<DecisionResponse>('DecisionResponse', label).decision;
    expect([decide('decide ALLOW'), decide('decide ALLOW_WITH_CAPS'), decide('decide DENY')]).toEqual([
      'ALLOW',
      'ALLOW_WITH_CAPS',
      'DENY',
    ]);
    expect(client.one<BalanceResponse>('BalanceResponse', 'balances page 1').hasMore).toBe(true);
    expect(
      client.one<ReservationListResponse>('ReservationListResponse', 'list EXPIRED').reservations,
    ).toHaveLength(1);
    for (const schema of SCHEMAS) expect(client.of(schema).length, schema).toBeGreaterThan(0);
  });

  it.each(SCHEMAS)('every %s the test sent or got validates on the wire', (schema) => {
    const failures: string[] = [];
    for (const { label, message } of scenario.client.of(schema)) {
      const wire = toWire(message);
      const errors = contract.check(schema, wire);
      if (errors) failures.push(describeFailure(label, wire, errors));
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
  });

  it('responses keep the spec rules the schemas cannot express', () => {
    const failures: string[] = [];
    const fail = (label: string, rule: string) => failures.push(`${label}: ${rule}`);
    for (const { label, request, response } of scenario.client.reserves) {
      const wire = toWire(response);
      if ((wire.caps !== undefined) !== (wire.decision === 'ALLOW_WITH_CAPS')) {
        fail(label, 'caps: present only when decision=ALLOW_WITH_CAPS; MUST be absent otherwise');
      }
      if (request.dryRun && wire.reservation_id !== undefined)
        fail(label, 'reservation_id: MUST be absent when dry_run');
      if ((request.dryRun || wire.decision === 'DENY') && wire.remaining_ttl_ms !== undefined) {
        fail(label, 'remaining_ttl_ms: MUST be absent on dry-run and DENY responses');
      }
      if (!request.dryRun && wire.decision !== 'DENY' && wire.reservation_id === undefined) {
        fail(label, 'reservation_id: present if ALLOW/ALLOW_WITH_CAPS and not dry_run');
      }
    }
    for (const { label, message } of scenario.client.of('DecisionResponse')) {
      const wire = toWire(message);
      if ((wire.caps !== undefined) !== (wire.decision === 'ALLOW_WITH_CAPS')) {
        fail(label, 'caps: present only when decision=ALLOW_WITH_CAPS; MUST be absent otherwise');
      }
    }
    for (const { label, message } of scenario.client.exchanges) {
      for (const balance of balancesOf(toWire(message))) {
        const amounts = ['remaining', 'reserved', 'spent', 'debt', 'allocated', 'overdraft_limit']
          .map((k) => balance[k])
          .filter(isObject) as { unit: Unit; amount: number }[];
        if (new Set(amounts.map((a) => a.unit)).size !== 1)
          fail(label, `Balance ${balance.scope}: mixed units`);
        const [remaining, reserved, spent, debt, allocated] = [
          'remaining',
          'reserved',
          'spent',
          'debt',
          'allocated',
        ].map((k) => (balance[k] as { amount: number } | undefined)?.amount);
        if (
          [remaining, reserved, spent, debt, allocated].every((v) => v !== undefined) &&
          remaining !== (allocated as number) - (spent as number) - (reserved as number) - (debt as number)
        ) {
          fail(label, `Balance ${balance.scope}: remaining ≠ allocated − spent − reserved − debt`);
        }
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('the compiled schemas reject what the spec forbids (negative control)', () => {
    const request = scenario.client.one<ReservationCreateRequest>(
      'ReservationCreateRequest',
      'reserve ALLOW',
    );
    const wire = toWire(request);
    expect(contract.check('ReservationCreateRequest', wire)).toBeUndefined();
    expect(contract.check('ReservationCreateRequest', request)).toMatch(
      /must NOT have additional properties/,
    );
    expect(
      contract.check('ReservationCreateRequest', {
        ...wire,
        subject: { ...(wire.subject as Json), run: '4821' },
      }),
    ).toMatch(/subject must NOT have additional properties/);
    expect(
      contract.check('ReservationCreateRequest', { ...wire, estimate: { unit: 'USD', amount: -1 } }),
    ).toMatch(/estimate\/unit must be equal to one of the allowed values/);
    const denied = scenario.client.one<ReservationCreateResponse>(
      'ReservationCreateResponse',
      'non-dry DENY',
    );
    expect(
      contract.check('ReservationCreateResponse', { ...toWire(denied), blocked_scope: denied.blockedScope }),
    ).toMatch(/must NOT have additional properties/);
  });
});

describe('wire mapping: toWire / fromWire', () => {
  it('fromWire(toWire(x)) deep-equals x for every request and every response without blockedScope', () => {
    let checked = 0;
    for (const { schema, label, message } of scenario.client.exchanges) {
      if ('blockedScope' in message) continue;
      expect(fromWire(toWire(message)), `${schema} "${label}"`).toEqual(message);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('blockedScope is dropped on the wire and everything else comes back', () => {
    const blocked = scenario.client.exchanges.filter((e) => 'blockedScope' in e.message);
    expect(blocked.map((e) => e.label)).toEqual(
      expect.arrayContaining(['dry-run DENY', 'non-dry DENY', 'decide DENY']),
    );
    for (const { schema, label, message } of blocked) {
      const wire = toWire(message);
      expect(JSON.stringify(wire), `${schema} "${label}"`).not.toMatch(/blocked_?scope/i);
      expect(fromWire(wire), `${schema} "${label}"`).toEqual(withoutBlockedScope(message));
    }
  });

  it('a subject run travels as dimensions.run and comes back as run', () => {
    let withRun = 0;
    for (const { schema, label, message } of scenario.client.exchanges) {
      const wire = toWire(message);
      const camel = subjectsOf(message);
      const onWire = subjectsOf(wire);
      expect(onWire.length, `${schema} "${label}"`).toBe(camel.length);
      camel.forEach((subject, i) => {
        const wireSubject = onWire[i] as Json;
        expect(wireSubject, `${schema} "${label}"`).not.toHaveProperty('run');
        if (subject.run === undefined) return;
        withRun += 1;
        const { run, dimensions, ...levels } = subject;
        expect(wireSubject, `${schema} "${label}"`).toEqual({
          ...levels,
          dimensions: { ...(dimensions as Json | undefined), run },
        });
      });
      const back = subjectsOf(fromWire<Json>(wire));
      expect(back, `${schema} "${label}"`).toEqual(camel);
    }
    expect(withRun).toBeGreaterThan(10);

    const request = scenario.client.one<ReservationCreateRequest>(
      'ReservationCreateRequest',
      'reserve ALLOW',
    );
    expect(toWire(request).subject).toEqual({
      tenant: 'acme',
      workflow: 'support',
      agent: 'triager',
      dimensions: { cost_center: 'cc-7', region: 'eu-west', run: '4821' },
    });
    expect(
      fromWire<Json>({ subject: { tenant: 'acme', dimensions: { run: '7', cost_center: 'x' } } }).subject,
    ).toEqual({
      tenant: 'acme',
      run: '7',
      dimensions: { cost_center: 'x' },
    });
  });

  it('user maps (metadata, committed_metadata, dimensions, metrics.custom) keep their keys verbatim both ways', () => {
    const { client } = scenario;
    const commitWire = toWire(client.one<CommitRequest>('CommitRequest', 'commit with released'));
    expect(commitWire.metadata).toEqual(META);
    expect((commitWire.metrics as Json).custom).toEqual(CUSTOM_METRICS);
    expect(commitWire.metrics).toMatchObject({ tokens_input: 1_200, tokens_output: 300, latency_ms: 850 });

    const reserveWire = toWire(
      client.one<ReservationCreateRequest>('ReservationCreateRequest', 'reserve ALLOW'),
    );
    expect(reserveWire.metadata).toEqual(META);
    expect(((reserveWire.subject as Json).dimensions as Json).cost_center).toBe('cc-7');

    const eventWire = toWire(client.one<EventCreateRequest>('EventCreateRequest', 'event not capped'));
    expect(eventWire.metadata).toEqual(META);
    expect((eventWire.metrics as Json).custom).toEqual(CUSTOM_METRICS);

    expect(toWire(client.one<DecisionRequest>('DecisionRequest', 'decide ALLOW')).metadata).toEqual(META);
    expect(toWire(client.one<ReservationDetail>('ReservationDetail', 'detail ACTIVE')).metadata).toEqual(
      META,
    );
    expect(
      toWire(client.one<ReservationDetail>('ReservationDetail', 'detail COMMITTED')).committed_metadata,
    ).toEqual(META);
    const listed = toWire(
      client.one<ReservationListResponse>('ReservationListResponse', 'list with metadata'),
    );
    const row = (listed.reservations as Json[]).find((r) => r.reservation_id === scenario.ids.r1);
    expect(row?.committed_metadata).toEqual(META);
    expect(row?.metadata).toEqual(META);

    const fromServer = fromWire<Json>({
      idempotency_key: 'k',
      actual: { unit: 'TOKENS', amount: 1 },
      metrics: { tokens_input: 1, custom: { someCamelKey: 1, some_snake_key: 2 } },
      metadata: { someCamelKey: 1, some_snake_key: { inner_snake: 2, innerCamel: 3 } },
      subject: { tenant: 'acme', dimensions: { some_snake_key: 'a', run: 'r' } },
    });
    expect(fromServer).toEqual({
      idempotencyKey: 'k',
      actual: { unit: 'TOKENS', amount: 1 },
      metrics: { tokensInput: 1, custom: { someCamelKey: 1, some_snake_key: 2 } },
      metadata: { someCamelKey: 1, some_snake_key: { inner_snake: 2, innerCamel: 3 } },
      subject: { tenant: 'acme', run: 'r', dimensions: { some_snake_key: 'a' } },
    });
  });
});

describe('wire contract at the limits of what core accepts', () => {
  const subjectRequest = (key: string, subject: Subject): ReservationCreateRequest => ({
    idempotencyKey: key,
    subject,
    action: LLM,
    estimate: usd(0.01),
  });
  const ledger = async () => {
    const authority = new MemoryAuthority({ clock: new ManualClock() });
    await authority.createBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: USD });
    return authority;
  };

  it('a subject with the most dimensions core accepts, plus a run, still fits Subject.dimensions on the wire', async () => {
    const dimensions = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`dim_${i}`, `v${i}`]));
    const request = subjectRequest('rsv-dims', { tenant: 'acme', run: '4821', dimensions });
    const response = await (await ledger()).reserve(request);
    expect(response.decision).toBe('ALLOW');
    const wire = toWire(request);
    const errors = contract.check('ReservationCreateRequest', wire);
    expect(
      errors,
      errors && describeFailure('reserve with 15 dimensions and a run', wire.subject, errors),
    ).toBeUndefined();
    const sixteen = { ...dimensions, dim_15: 'v15' };
    await expect(
      (await ledger()).reserve(
        subjectRequest('rsv-dims-16', { tenant: 'acme', run: '4821', dimensions: sixteen }),
      ),
    ).rejects.toThrow('subject.dimensions: must have at most 15 entries when subject.run is set');
  });

  it('a subject with an empty dimensions map round-trips exactly', async () => {
    const request = subjectRequest('rsv-empty-dims', { tenant: 'acme', workspace: 'prod', dimensions: {} });
    const response = await (await ledger()).reserve(request);
    expect(response.decision).toBe('ALLOW');
    expect(contract.check('ReservationCreateRequest', toWire(request))).toBeUndefined();
    const back = fromWire<ReservationCreateRequest>(toWire(request));
    expect(
      back.subject,
      `subject ${JSON.stringify(request.subject)} came back as ${JSON.stringify(back.subject)}`,
    ).toEqual(request.subject);
    expect(back).toEqual(request);
  });
});

describe('errors: thrown GovernorErrors as protocol ErrorResponse bodies', () => {
  /** The status the brief and the spec's ERROR SEMANTICS / IDEMPOTENCY sections pair with each code. */
  const EXPECTED: [ErrorCode, number][] = [
    ['BUDGET_EXCEEDED', 409],
    ['RESERVATION_EXPIRED', 410],
    ['NOT_FOUND', 404],
    ['UNIT_MISMATCH', 400],
    ['IDEMPOTENCY_MISMATCH', 409],
    ['RESERVATION_FINALIZED', 409],
  ];

  it.each(EXPECTED)('%s, provoked from MemoryAuthority, is an ErrorResponse with HTTP %i', (code, status) => {
    const error = scenario.errors[code];
    expect(error, `MemoryAuthority did not throw ${code}`).toBeInstanceOf(GovernorError);
    const e = error as GovernorError;
    const body = { error: e.code, message: e.message, request_id: 'req_1' };
    expect(contract.check('ErrorResponse', body)).toBeUndefined();
    if (e.details) expect(contract.check('ErrorResponse', { ...body, details: e.details })).toBeUndefined();
    expect(e.status).toBe(status);
    expect([...(contract.errorStatuses().get(code) ?? [])], `the spec's status for ${code}`).toEqual([
      status,
    ]);
  });

  it("every code/status pair the spec states matches core's ERROR_STATUS", () => {
    const pairs = contract.errorStatuses();
    expect(pairs.size).toBeGreaterThanOrEqual(EXPECTED.length);
    for (const [code, statuses] of pairs) {
      expect([...statuses], `the spec pairs ${code} with more than one status`).toHaveLength(1);
      expect(ERROR_STATUS[code as ErrorCode], code).toBe([...statuses][0]);
    }
  });
});

describe("enums: core's constants are the spec's enums", () => {
  const sorted = (values: readonly string[]) => [...values].sort();
  it.each([
    ['ErrorCode', ERROR_CODES],
    ['UnitEnum', UNITS],
    ['ReservationStatus', RESERVATION_STATUSES],
    ['CommitOveragePolicy', OVERAGE_POLICIES],
  ] as const)('%s', (schema, values) => {
    expect(sorted(values)).toEqual(sorted(contract.enumOf(schema)));
    expect(new Set(values).size, `${schema}: duplicates in core`).toBe(values.length);
  });
});
