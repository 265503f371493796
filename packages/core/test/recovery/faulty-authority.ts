/**
 * An Authority that wraps a real one and misbehaves on cue, for client-recovery
 * tests: every request it receives is recorded in order, and each operation
 * consumes its own script of faults, one per request (`'ok'` once the script
 * runs out). Faults that can happen for real are made to happen for real: a
 * lost response is applied by the inner ledger first, an expiry is the inner
 * ledger's clock running past TTL + grace, a finalized reservation was really
 * settled by someone else.
 */
import {
  type Authority,
  type BalanceQuery,
  type CommitRequest,
  type DecisionRequest,
  type EventCreateRequest,
  errorFromCode,
  LimitExceededError,
  type ManualClock,
  type ReleaseRequest,
  type ReservationCreateRequest,
  ReservationExpiredError,
  type ReservationExtendRequest,
  type ReservationListQuery,
} from '@governor/core';

export type Operation = 'reserve' | 'commit' | 'release' | 'extend' | 'decide' | 'event';

export type Fault =
  /** Forward and answer normally. */
  | 'ok'
  /** Forward (the inner ledger applies it), then fail as if the reply was lost on the way back. */
  | 'lose-response'
  /** Fail with a connection error; nothing is forwarded. */
  | 'transport'
  /** Fail with a client-side timeout; nothing is forwarded. */
  | 'timeout'
  /** Answer 500 INTERNAL_ERROR; nothing is forwarded. */
  | '5xx'
  /** Answer 429 LIMIT_EXCEEDED with Retry-After (`retryAfterMs`); nothing is forwarded. */
  | '429'
  /** Move the shared clock past the reservation's expiry + grace, then forward: the inner ledger answers 410. */
  | 'expired'
  /** Forward (the inner ledger applies it), then answer 2xx with a body that is not the protocol's success shape. */
  | 'nonconformant-2xx'
  /** Another worker settles the reservation first (a commit of the same actual, or a release), then forward: 409. */
  | 'finalized'
  /** Another writer uses the same idempotency key with a different payload first, then forward: 409. */
  | 'mismatch';

export interface RecordedRequest {
  /** 1-based position among every request received. */
  seq: number;
  operation: Operation;
  reservationId: string | undefined;
  idempotencyKey: string;
  /** The full request as received (a structured clone). */
  request: unknown;
  /** The fault applied to this request. */
  fault: Fault;
  /** The shared clock's time when the request arrived (undefined without a clock). */
  at: number | undefined;
}

/** A transport-level failure: a plain Error, never a GovernorError, so the Governor treats it as transient. */
export class TransportError extends Error {
  readonly code: string;
  constructor(message: string, code: string, name = 'TransportError') {
    super(message);
    this.name = name;
    this.code = code;
  }
}

export interface FaultyAuthorityOptions {
  /** The clock the inner ledger runs on; needed for `'expired'` and for `at`. */
  clock?: ManualClock;
  faults?: Partial<Record<Operation, Fault[]>>;
  /** Retry-After of `'429'`; default 1,000 ms. */
  retryAfterMs?: number;
  /** The malformed 2xx body `'nonconformant-2xx'` answers with; default the real answer without `status` and `charged`. */
  malformed?: (operation: Operation, response: unknown) => unknown;
}

const withoutStatusAndCharged = (_operation: Operation, response: unknown): unknown => {
  const { status: _status, charged: _charged, ...rest } = response as Record<string, unknown>;
  return rest;
};

export class FaultyAuthority implements Authority {
  readonly inner: Authority;
  readonly requests: RecordedRequest[] = [];
  readonly #faults: Partial<Record<Operation, Fault[]>>;
  readonly #clock: ManualClock | undefined;
  readonly #retryAfterMs: number;
  readonly #malformed: (operation: Operation, response: unknown) => unknown;
  /** Grace period per reservation, from the reserve requests seen (the detail does not carry it). */
  readonly #grace = new Map<string, number>();
  #foreign = 0;

  constructor(inner: Authority, options: FaultyAuthorityOptions = {}) {
    this.inner = inner;
    this.#clock = options.clock;
    this.#faults = structuredClone(options.faults ?? {});
    this.#retryAfterMs = options.retryAfterMs ?? 1_000;
    this.#malformed = options.malformed ?? withoutStatusAndCharged;
  }

  /** Queue more faults for `operation`, after those already scripted. */
  script(operation: Operation, ...faults: Fault[]): this {
    this.#faults[operation] = [...(this.#faults[operation] ?? []), ...faults];
    return this;
  }

  /** Faults scripted but not yet consumed. */
  get pendingFaults(): Partial<Record<Operation, Fault[]>> {
    return structuredClone(this.#faults);
  }

  /** The recorded requests for some operations, in order. */
  requestsFor(...operations: Operation[]): RecordedRequest[] {
    return this.requests.filter((r) => operations.includes(r.operation));
  }

  /** `operation` and key of every request after the first reserve: the settlement choreography. */
  choreography(): { operation: Operation; idempotencyKey: string }[] {
    const first = this.requests.findIndex((r) => r.operation === 'reserve');
    return this.requests
      .slice(first + 1)
      .map(({ operation, idempotencyKey }) => ({ operation, idempotencyKey }));
  }

  async reserve(request: ReservationCreateRequest) {
    const response = await this.#call('reserve', undefined, request, () => this.inner.reserve(request));
    if (response.reservationId) this.#grace.set(response.reservationId, request.gracePeriodMs ?? 5_000);
    return response;
  }

  commit(reservationId: string, request: CommitRequest) {
    return this.#call('commit', reservationId, request, () => this.inner.commit(reservationId, request));
  }

  release(reservationId: string, request: ReleaseRequest) {
    return this.#call('release', reservationId, request, () => this.inner.release(reservationId, request));
  }

  extend(reservationId: string, request: ReservationExtendRequest) {
    return this.#call('extend', reservationId, request, () => this.inner.extend(reservationId, request));
  }

  decide(request: DecisionRequest) {
    return this.#call('decide', undefined, request, () => this.inner.decide(request));
  }

  event(request: EventCreateRequest) {
    return this.#call('event', undefined, request, () => this.inner.event(request));
  }

  balances(query: BalanceQuery) {
    return this.inner.balances(query);
  }

  getReservation(reservationId: string) {
    return this.inner.getReservation(reservationId);
  }

  listReservations(query?: ReservationListQuery) {
    return this.inner.listReservations(query);
  }

  async #call<T>(
    operation: Operation,
    reservationId: string | undefined,
    request: { idempotencyKey: string },
    forward: () => Promise<T>,
  ): Promise<T> {
    const fault = this.#faults[operation]?.shift() ?? 'ok';
    this.requests.push({
      seq: this.requests.length + 1,
      operation,
      reservationId,
      idempotencyKey: request.idempotencyKey,
      request: structuredClone(request),
      fault,
      at: this.#clock?.now(),
    });
    const where = `${operation}${reservationId ? ` ${reservationId}` : ''}`;
    switch (fault) {
      case 'ok':
        return forward();
      case 'lose-response':
        await forward();
        throw new TransportError(`${where}: connection reset before the response arrived`, 'ECONNRESET');
      case 'transport':
        throw new TransportError(`${where}: connect ECONNREFUSED`, 'ECONNREFUSED');
      case 'timeout':
        throw new TransportError(`${where}: request timed out`, 'ETIMEDOUT', 'TimeoutError');
      case '5xx':
        throw errorFromCode('INTERNAL_ERROR', `${where}: upstream failure`);
      case '429':
        throw new LimitExceededError(`${where}: rate limited`, this.#retryAfterMs, {
          retry_after_ms: this.#retryAfterMs,
        });
      case 'expired':
        await this.#expire(operation, reservationId);
        return forward();
      case 'nonconformant-2xx':
        return this.#malformed(operation, await forward()) as T;
      case 'finalized':
        await this.#settleElsewhere(operation, reservationId, request);
        return forward();
      case 'mismatch':
        await this.#reuseKeyElsewhere(operation, reservationId, request);
        return forward();
    }
  }

  /** Run the shared clock past the reservation's expiry + grace, so the inner ledger expires it for real. */
  async #expire(operation: Operation, reservationId: string | undefined): Promise<void> {
    if (!reservationId) throw new Error(`'expired' needs a reservation; ${operation} has none`);
    if (!this.#clock) throw new ReservationExpiredError(`Reservation ${reservationId} has expired`);
    const detail = await this.inner.getReservation(reservationId);
    const deadline = detail.expiresAtMs + (this.#grace.get(reservationId) ?? 5_000);
    this.#clock.advance(Math.max(0, deadline + 1 - this.#clock.now()));
  }

  /** Another worker finalizes the reservation with its own key. */
  async #settleElsewhere(
    operation: Operation,
    reservationId: string | undefined,
    request: object,
  ): Promise<void> {
    if (!reservationId) throw new Error(`'finalized' needs a reservation; ${operation} has none`);
    const idempotencyKey = `foreign-${++this.#foreign}`;
    if (operation === 'commit') {
      await this.inner.commit(reservationId, { idempotencyKey, actual: (request as CommitRequest).actual });
    } else {
      await this.inner.release(reservationId, { idempotencyKey, reason: 'settled by another worker' });
    }
  }

  /** Another writer uses the same key first, with a different payload. */
  async #reuseKeyElsewhere(
    operation: Operation,
    reservationId: string | undefined,
    request: object,
  ): Promise<void> {
    const bump = <R extends { actual: { unit: string; amount: number } }>(r: R): R => ({
      ...r,
      actual: { ...r.actual, amount: r.actual.amount + 1 },
    });
    if (operation === 'commit' && reservationId) {
      await this.inner.commit(reservationId, bump(request as CommitRequest));
    } else if (operation === 'event') {
      await this.inner.event(bump(request as EventCreateRequest));
    } else if (operation === 'release' && reservationId) {
      await this.inner.release(reservationId, { ...(request as ReleaseRequest), reason: 'another payload' });
    } else {
      throw new Error(`'mismatch' is not scripted for ${operation}`);
    }
  }
}
