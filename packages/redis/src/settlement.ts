/** commit, release and extend: settle one reservation, whose tenant its id names. */
import {
  type Amount,
  type CommitRequest,
  type CommitResponse,
  InternalError,
  NotFoundError,
  type ReleaseRequest,
  type ReleaseResponse,
  type ReservationExtendRequest,
  type ReservationExtendResponse,
  schemas as S,
  type Unit,
  UnitMismatchError,
  validateRequest,
} from '@governor/core';
import type { LedgerParts } from './ledger-parts.js';
import { replayed, settleError } from './outcome-errors.js';
import { balancesOf, type Outcome } from './records.js';
import { fingerprintOf } from './runtime.js';

type Operation = 'commit' | 'release' | 'extend';
/** A settle script's keys and arguments (after now), for the reservation's tenant, hash key and budget keys. */
type Build = (tenant: string, rkey: string, bkeys: string[]) => [string[], (string | number)[]];

export class RedisSettlement {
  constructor(readonly parts: LedgerParts) {}

  async commit(reservationId: string, input: CommitRequest): Promise<CommitResponse> {
    const { settings } = this.parts;
    const id = validateRequest(S.reservationId, reservationId, ['reservationId']);
    const req: CommitRequest = validateRequest(settings.schemas.commitRequest, input);
    const fingerprint = fingerprintOf({ reservationId: id, ...req });
    const outcome = await this.#settle(
      id,
      'commit',
      req.idempotencyKey,
      fingerprint,
      (tenant, rkey, bkeys) => [
        this.#finalKeys(tenant, 'commit', req.idempotencyKey, rkey, bkeys),
        [
          fingerprint,
          settings.idemRetention,
          settings.rsvRetention,
          id,
          req.actual.unit,
          req.actual.amount,
          req.metadata ? JSON.stringify(req.metadata) : '',
          settings.includeBalances ? '1' : '0',
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
    if (settings.includeBalances) response.balances = balancesOf(outcome.b);
    return response;
  }

  async release(reservationId: string, input: ReleaseRequest): Promise<ReleaseResponse> {
    const { settings } = this.parts;
    const id = validateRequest(S.reservationId, reservationId, ['reservationId']);
    const req: ReleaseRequest = validateRequest(S.releaseRequest, input);
    const fingerprint = fingerprintOf({ reservationId: id, ...req });
    const outcome = await this.#settle(
      id,
      'release',
      req.idempotencyKey,
      fingerprint,
      (tenant, rkey, bkeys) => [
        this.#finalKeys(tenant, 'release', req.idempotencyKey, rkey, bkeys),
        [
          fingerprint,
          settings.idemRetention,
          settings.rsvRetention,
          id,
          settings.includeBalances ? '1' : '0',
        ],
      ],
    );
    const response: ReleaseResponse = {
      status: 'RELEASED',
      released: { unit: outcome.unit as Unit, amount: Number(outcome.reserved) },
    };
    if (settings.includeBalances) response.balances = balancesOf(outcome.b);
    return response;
  }

  async extend(reservationId: string, input: ReservationExtendRequest): Promise<ReservationExtendResponse> {
    const { keys, settings } = this.parts;
    const id = validateRequest(S.reservationId, reservationId, ['reservationId']);
    const req: ReservationExtendRequest = validateRequest(settings.schemas.reservationExtendRequest, input);
    const fingerprint = fingerprintOf({ reservationId: id, ...req });
    const result = await this.#settle(
      id,
      'extend',
      req.idempotencyKey,
      fingerprint,
      (tenant, rkey, bkeys) => [
        [rkey, keys.idempotency(tenant, 'extend', req.idempotencyKey), keys.expiry(tenant), ...bkeys],
        [fingerprint, settings.idemRetention, id, req.extendByMs, settings.maxExtensions],
      ],
    );
    const expiresAtMs = Number(result.exp);
    const response: ReservationExtendResponse = { status: 'ACTIVE', expiresAtMs };
    if (settings.includeBalances) response.balances = balancesOf(result.b);
    const now = Number(result.now);
    return { ...response, remainingTtlMs: result.status === 'ACTIVE' ? Math.max(0, expiresAtMs - now) : 0 };
  }

  /** The keys of commit.lua and release.lua, which finalize the reservation. */
  #finalKeys(tenant: string, op: Operation, idempotencyKey: string, rkey: string, bkeys: string[]): string[] {
    const { keys } = this.parts;
    return [
      rkey,
      keys.idempotency(tenant, op, idempotencyKey),
      keys.expiry(tenant),
      keys.finalized(tenant),
      keys.reservationIndex(tenant),
      ...bkeys,
    ];
  }

  /**
   * commit, release and extend: find the reservation's tenant and budget keys,
   * run the script (sweeping first when expiries are due), map the answer.
   */
  async #settle(
    id: string,
    op: Operation,
    idempotencyKey: string,
    fingerprint: string,
    build: Build,
  ): Promise<Outcome> {
    const { calls, keys, sweep, tenants, budgetKeys } = this.parts;
    const tenant = await tenants.ofReservation(id);
    if (tenant === undefined) throw new NotFoundError(`Reservation ${id} not found`);
    const rkey = keys.reservation(tenant, id);
    let fresh = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      const bkeys = await budgetKeys.of(tenant, id, fresh);
      // The reservation is gone (past its retention): its answers replay for their own, longer window.
      const out = bkeys
        ? await sweep.around(tenant, async () => {
            const [scriptKeys, args] = build(tenant, rkey, bkeys);
            return calls.script(op, scriptKeys, [await calls.now(), ...args], {
              tenant,
              members: { operation: op, idempotencyKey },
            });
          })
        : await this.#storedAnswer(keys.idempotency(tenant, op, idempotencyKey), fingerprint);
      if (!out) throw new NotFoundError(`Reservation ${id} not found`);
      if (out.k === 'keys') {
        fresh = true;
        continue;
      }
      if (op === 'extend' && (out.k === 'replay' || out.k === 'fresh')) {
        const stored = replayed({ ...out, k: 'replay' }, tenant, op, idempotencyKey);
        if (out.k === 'fresh') await tenants.keepFor(id, tenant, Number(stored.exp) - Number(out.now));
        return { ...stored, status: out.status, now: out.now };
      }
      const outcome = replayed(out, tenant, op, idempotencyKey);
      if (outcome.k === 'unit') return outcome;
      if (outcome.k !== 'ok') throw settleError(op, id, outcome);
      if (op !== 'extend') budgetKeys.forget(id);
      await tenants.keepFor(id, tenant, 0);
      return outcome;
    }
    throw new InternalError(`reservation ${id} changed its budgets`);
  }

  /** The answer stored under an idempotency record for `fingerprint`; IDEMPOTENCY_MISMATCH for another one. */
  async #storedAnswer(key: string, fingerprint: string): Promise<Outcome | undefined> {
    const { calls } = this.parts;
    const rec = await calls.redis(() => calls.client.get(key));
    if (rec === null) return undefined;
    const nl = rec.indexOf('\n');
    if (rec.slice(0, nl) !== fingerprint) return { k: 'mismatch' };
    return { k: 'replay', o: rec.slice(nl + 1) };
  }
}
