/**
 * What reserve, dry run, decide and event share around their scripts: the
 * answer rendered from reserve.lua's outcome, and the errors of a call that
 * no budget covers.
 */
import {
  type Amount,
  type Caps,
  NotFoundError,
  type ReservationCreateResponse,
  UNITS,
  type Unit,
  UnitMismatchError,
} from '@governor/core';
import { toBalance } from '@governor/core/ledger';
import { type Config, templateArg } from './config-cache.js';
import { balancesOf, list, type Outcome, type Snapshot, stateOf } from './records.js';
import type { RedisCalls } from './redis-calls.js';

export type Mode = 'reserve' | 'dry' | 'decide';

/** The answer to reserve, dry run or decide from reserve.lua's outcome `o`. */
export function renderEvaluation(
  o: Outcome,
  mode: Mode,
  estimate: Amount,
  scopePath: string,
  includeBalances: boolean,
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
      ...(o.ra !== undefined ? { retryAfterMs: Number(o.ra) } : {}),
      affectedScopes,
      scopePath,
      balances: pre.map(toBalance),
    };
  }
  // Decided by reserve.lua (caps_of: the budgets' caps and every degradation tier reached), as its record says.
  const caps = o.c as Caps | undefined;
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
  if (includeBalances) response.balances = balancesOf(o.post);
  return response;
}

/**
 * No budget covers a reserve or event: UNIT_MISMATCH when a derived scope has
 * budgets (or templates) only in other units, else NOT_FOUND for the last scope.
 */
export async function noBudgetError(
  calls: RedisCalls,
  config: Config,
  tenant: string,
  scopes: string[],
  unit: Unit,
): Promise<NotFoundError> {
  await assertUnitKnown(calls, config, tenant, scopes, unit);
  const scope = scopes[scopes.length - 1];
  return new NotFoundError(`Budget not found for provided scope: ${scope}`, { scope });
}

/** UNIT_MISMATCH when a derived scope has budgets (or templates) only in other units. */
export async function assertUnitKnown(
  calls: RedisCalls,
  config: Config,
  tenant: string,
  scopes: string[],
  unit: Unit,
): Promise<void> {
  const { client, keys } = calls;
  for (const scope of scopes) {
    const others = UNITS.filter((u) => u !== unit);
    const exists = await calls.redis(() =>
      Promise.all(others.map((u) => client.exists(keys.budget(tenant, scope, u)))),
    );
    const expected = others.filter(
      (u, i) => exists[i] === 1 || templateArg(config, scope, u, Date.now()) !== '',
    );
    if (expected.length > 0) {
      throw new UnitMismatchError(
        `No ${unit} budget for the subject's scopes; ${scope} has budgets in ${expected.join(', ')}`,
        { scope, requested_unit: unit, expected_units: expected },
      );
    }
  }
}
