import type { Action, Amount, Caps, Decision, ReasonCode, Subject } from '../protocol/types.js';

interface Base {
  subject: Subject;
  action: Action;
  /** The idempotency key of the logical attempt. */
  key: string;
  reservationId?: string | undefined;
}

/** Everything the Governor decides or does, for logs, metrics and tests. */
export type GovernorEvent =
  | (Base & {
      type: 'decision';
      decision: Decision;
      estimate: Amount;
      caps?: Caps | undefined;
      reasonCode?: ReasonCode | undefined;
      scope?: string | undefined;
    })
  | (Base & {
      type: 'observed';
      decision: Decision;
      estimate: Amount;
      caps?: Caps | undefined;
      reasonCode?: ReasonCode | undefined;
      scope?: string | undefined;
    })
  | (Base & {
      type: 'commit';
      actual: Amount;
      charged: Amount;
      actualSource: 'reported' | 'estimate' | 'partial';
    })
  /** The ledger charged less than was used (ALLOW_IF_AVAILABLE capped the overage). */
  | (Base & { type: 'commit_capped'; actual: Amount; charged: Amount; uncharged: number })
  /**
   * A handle settled without its consumer: idle (no chunk pulled for
   * `idleTimeoutMs`), past `maxLifetimeMs`, aborted or failed part-way.
   * What was delivered is committed, the rest released.
   */
  | (Base & {
      type: 'abandoned';
      reason: 'idle' | 'lifetime' | 'aborted' | 'failed';
      delivered?: Amount | undefined;
    })
  /** The caller got its result; the settlement goes on retrying in the background (same key). */
  | (Base & { type: 'settlement_backgrounded'; operation: 'commit' | 'release'; waitedMs: number })
  /** A reservation that landed after its caller gave up (abort, timeout) was released. */
  | (Base & { type: 'late_reservation_released' })
  /** The run's circuit breaker opened: too many consecutive denied tool calls. */
  | (Base & { type: 'circuit_open'; consecutiveDenials: number })
  /** A commit became an event with the same key: its reservation expired (or, on a replay, is gone). */
  | (Base & { type: 'commit_fallback_event'; actual: Amount; reason: 'RESERVATION_EXPIRED' | 'NOT_FOUND' })
  | (Base & { type: 'release'; released: Amount; reason: string })
  | (Base & {
      type: 'retry';
      operation: 'reserve' | 'decide' | 'commit' | 'release' | 'event';
      attempt: number;
      delayMs: number;
      error: unknown;
    })
  | (Base & { type: 'heartbeat'; expiresAtMs: number })
  | (Base & { type: 'heartbeat_failed'; willRetry: boolean; error: unknown })
  /** The heartbeat stopped after `maxExtensions` beats; the reservation now expires on its TTL. */
  | (Base & { type: 'heartbeat_exhausted'; extensions: number })
  | (Base & {
      type: 'settlement_failed';
      operation: 'commit' | 'release' | 'event';
      terminal: boolean;
      error: unknown;
    })
  | (Base & { type: 'actual_missing' })
  | (Base & { type: 'fail_open'; error: unknown })
  | (Base & { type: 'fail_closed'; error: unknown });

export type GovernorEventListener = (event: GovernorEvent) => void;
