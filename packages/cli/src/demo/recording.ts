import type {
  Action,
  Amount,
  Authority,
  BalanceQuery,
  Caps,
  CommitRequest,
  Decision,
  DecisionRequest,
  DecisionResponse,
  EventCreateRequest,
  ReleaseRequest,
  ReservationCreateRequest,
  ReservationExtendRequest,
  ReservationListQuery,
} from '@governor/core';

/** One reserve and the authority's answer to it. */
export interface ReserveRecord {
  action: Action;
  estimate: Amount;
  decision: Decision;
  caps?: Caps | undefined;
  reasonCode?: string | undefined;
  blockedScope?: string | undefined;
}

/**
 * An Authority that passes every call through and keeps a record of each
 * reserve and its answer: the demo counts outcomes from what the authority
 * said, and shows which actions never reached it.
 */
export class RecordingAuthority implements Authority {
  readonly reserves: ReserveRecord[] = [];
  /** The last `decide` (dry run, e.g. of the loop guard) that answered DENY. */
  lastDecideDeny: { request: DecisionRequest; answer: DecisionResponse } | undefined;
  constructor(private readonly inner: Authority) {}

  async reserve(request: ReservationCreateRequest) {
    const answer = await this.inner.reserve(request);
    if (!request.dryRun) {
      this.reserves.push({
        action: request.action,
        estimate: request.estimate,
        decision: answer.decision,
        caps: answer.caps,
        reasonCode: answer.reasonCode,
        blockedScope: answer.blockedScope,
      });
    }
    return answer;
  }
  commit(id: string, request: CommitRequest) {
    return this.inner.commit(id, request);
  }
  release(id: string, request: ReleaseRequest) {
    return this.inner.release(id, request);
  }
  extend(id: string, request: ReservationExtendRequest) {
    return this.inner.extend(id, request);
  }
  async decide(request: DecisionRequest) {
    const answer = await this.inner.decide(request);
    if (answer.decision === 'DENY') this.lastDecideDeny = { request, answer };
    return answer;
  }
  event(request: EventCreateRequest) {
    return this.inner.event(request);
  }
  balances(query: BalanceQuery) {
    return this.inner.balances(query);
  }
  getReservation(id: string) {
    return this.inner.getReservation(id);
  }
  listReservations(query?: ReservationListQuery) {
    return this.inner.listReservations(query);
  }
}
