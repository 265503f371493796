/**
 * An authority that answers at once with fixed, valid answers and keeps
 * nothing: what is left of `governor.run` around it is the lifecycle's own
 * cost, without the ledger's.
 */
import type { Authority, CommitRequest, ReservationCreateRequest } from '@governor/core';
import { BENCH_SCOPES } from './harness.js';

export function instantAuthority(): Authority {
  let n = 0;
  const unused = () => Promise.reject(new Error('not used by the benchmark'));
  return {
    reserve: async (request: ReservationCreateRequest) => ({
      decision: 'ALLOW',
      reservationId: `r${n++}`,
      reserved: request.estimate,
      affectedScopes: BENCH_SCOPES,
      expiresAtMs: Date.now() + (request.ttlMs ?? 60_000),
      remainingTtlMs: request.ttlMs ?? 60_000,
    }),
    commit: async (_id: string, request: CommitRequest) => ({ status: 'COMMITTED', charged: request.actual }),
    release: unused,
    extend: unused,
    decide: unused,
    event: unused,
    balances: unused,
    getReservation: unused,
    listReservations: unused,
  };
}
