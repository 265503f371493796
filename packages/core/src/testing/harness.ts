import type { BudgetDefinition, Ledger } from '../authority.js';
import type { ReservationCreateRequest, ReservationCreateResponse } from '../protocol/messages.js';
import type { Subject, Unit } from '../protocol/types.js';
import { assertLedgerInvariant } from './invariant.js';

/** What a ledger implementation hands the conformance suite: a fresh, empty ledger. */
export interface LedgerHarness {
  /** The ledger; `restart` replaces it with the restarted one. */
  ledger: Ledger;
  /** Move the ledger's clock forward by `ms`. */
  advanceClock(ms: number): void | Promise<void>;
  close?(): void | Promise<void>;
  /**
   * Everything the ledger stores, as a value that changes whenever its state
   * does (keys under the prefix, rows, a snapshot). Checks that a rejected
   * request leaves no trace compare it before and after; skipped without it.
   */
  footprint?(): Promise<unknown>;
  /**
   * Restart the authority over its durable state (a snapshot reload, a
   * reopened file, a restarted server) and set `ledger` to the new one. The
   * fault model check restarts it at random steps; skipped without it.
   */
  restart?(): Promise<void>;
  /**
   * Apply now the reservation retention that does not run on the ledger's
   * clock (Redis key expiry), as if it had passed. Not needed when retention
   * follows `advanceClock`.
   */
  applyRetention?(): Promise<void>;
}

/** Ledger options some checks need; a factory passes each one it is given to its ledger. */
export interface LedgerTestOptions {
  maxLiveReservationsPerTenant?: number;
  metadataLimits?: { maxDepth?: number; maxBytes?: number };
  reservationRetentionMs?: number;
}

export type LedgerFactory = (options?: LedgerTestOptions) => Promise<LedgerHarness>;

export const USD_UNIT: Unit = 'USD_MICROCENTS';
export const SUBJECT: Subject = { tenant: 'acme', workflow: 'support', run: 'r1' };
export const SCOPES = [
  'tenant:acme',
  'tenant:acme/workflow:support',
  'tenant:acme/workflow:support/run:r1',
] as const;

let counter = 0;
/** A fresh idempotency key. */
export const key = (prefix = 'k') => `${prefix}-${++counter}`;

export type FreshLedger = (options?: LedgerTestOptions) => Promise<TestLedger>;

/** Per-test helpers over one fresh ledger. */
export class TestLedger {
  constructor(readonly h: LedgerHarness) {}

  get ledger(): Ledger {
    return this.h.ledger;
  }

  advance(ms: number) {
    return this.h.advanceClock(ms);
  }

  budget(scope: string, allocated: number, extra: Partial<BudgetDefinition> = {}) {
    return this.ledger.createBudget({ scope, unit: USD_UNIT, allocated, ...extra });
  }

  /** Budgets of `allocated` on every scope of SUBJECT. */
  async budgets(...allocated: number[]) {
    for (const [i, amount] of allocated.entries()) await this.budget(SCOPES[i] as string, amount);
  }

  reserve(amount: number, extra: Partial<ReservationCreateRequest> = {}): Promise<ReservationCreateResponse> {
    return this.ledger.reserve({
      idempotencyKey: key('rsv'),
      subject: SUBJECT,
      action: { kind: 'llm.completion', name: 'gpt-4o-mini' },
      estimate: { unit: extra.estimate?.unit ?? USD_UNIT, amount },
      ...extra,
    });
  }

  /** Reserve and return the reservation id; fails the test if the answer is not an ALLOW. */
  async reserveId(amount: number, extra: Partial<ReservationCreateRequest> = {}): Promise<string> {
    const r = await this.reserve(amount, extra);
    if (!r.reservationId)
      throw new Error(`expected an ALLOW with a reservation id, got ${JSON.stringify(r)}`);
    return r.reservationId;
  }

  commit(id: string, amount: number, unit: Unit = USD_UNIT) {
    return this.ledger.commit(id, { idempotencyKey: key('cmt'), actual: { unit, amount } });
  }

  release(id: string) {
    return this.ledger.release(id, { idempotencyKey: key('rel') });
  }

  async budgetOf(scope: string, unit: Unit = USD_UNIT) {
    const b = await this.ledger.getBudget({ scope, unit });
    if (!b) throw new Error(`no ${unit} budget at ${scope}`);
    return b;
  }

  async remaining(scope: string, unit: Unit = USD_UNIT) {
    return (await this.budgetOf(scope, unit)).remaining;
  }

  check() {
    return assertLedgerInvariant(this.ledger);
  }
}
