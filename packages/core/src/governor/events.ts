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
  | (Base & { type: 'commit'; actual: Amount; charged: Amount; actualSource: 'reported' | 'estimate' })
  | (Base & { type: 'commit_fallback_event'; actual: Amount; reason: 'RESERVATION_EXPIRED' })
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
