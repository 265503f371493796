/**
 * One recovery scenario's world: a ManualClock shared by a real MemoryAuthority
 * and a real Governor, with a FaultyAuthority between them and every Governor
 * event collected.
 */
import {
  type Action,
  type Amount,
  type CallSpec,
  createGovernor,
  flushMicrotasks,
  type GovernorEvent,
  type GovernorOptions,
  ManualClock,
  MemoryAuthority,
  type SettlementJournal,
  type Subject,
  USD,
} from '@governor/core';
import { assertLedgerInvariant } from '@governor/core/testing';
import { expect } from 'vitest';
import { FaultyAuthority, type FaultyAuthorityOptions } from './faulty-authority.js';

export const UNIT = 'USD_MICROCENTS' as const;
export const TTL_MS = 60_000;
export const GRACE_MS = 5_000;
export const DEFAULT_SUBJECT: Subject = { tenant: 'acme', workflow: 'support' };
/** The subject a call acts as: the default plus its run. */
export const CALL_SUBJECT: Subject = { tenant: 'acme', workflow: 'support', run: 'r1' };
export const SCOPES = ['tenant:acme', 'tenant:acme/workflow:support', 'tenant:acme/workflow:support/run:r1'];
export const ACTION: Action = { kind: 'llm.completion', name: 'gpt-4o-mini' };
export const ESTIMATE: Amount = { unit: UNIT, amount: 1_000 };
export const ACTUAL = 700;
export const CALL: CallSpec = { action: ACTION, estimate: ESTIMATE, subject: { run: 'r1' }, ttlMs: TTL_MS };

export type EventOf<T extends GovernorEvent['type']> = Extract<GovernorEvent, { type: T }>;

export interface EnvOptions extends Omit<FaultyAuthorityOptions, 'clock'> {
  retry?: GovernorOptions['retry'];
  heartbeat?: GovernorOptions['heartbeat'];
  journal?: SettlementJournal;
}

export async function recoveryEnv(options: EnvOptions = {}) {
  const { retry, heartbeat, journal, ...faulty } = options;
  const clock = new ManualClock();
  const ledger = new MemoryAuthority({ clock });
  for (const scope of SCOPES) await ledger.createBudget({ scope, unit: UNIT, allocated: USD });
  const authority = new FaultyAuthority(ledger, { clock, ...faulty });
  const events: GovernorEvent[] = [];
  const governor = createGovernor({
    authority,
    subject: DEFAULT_SUBJECT,
    clock,
    gracePeriodMs: GRACE_MS,
    // The faults move the shared clock inside a call (an expiry needs minutes to pass): per-call
    // deadlines and the settle wait would read that as a hung authority. They have their own tests.
    timeouts: {
      reserve: Infinity,
      decide: Infinity,
      commit: Infinity,
      release: Infinity,
      extend: Infinity,
      event: Infinity,
    },
    settleWaitMs: Infinity,
    on: (event) => events.push(event),
    ...(retry ? { retry } : {}),
    ...(heartbeat !== undefined ? { heartbeat } : {}),
    ...(journal ? { journal } : {}),
  });
  const eventsOf = <T extends GovernorEvent['type']>(type: T): EventOf<T>[] =>
    events.filter((e): e is EventOf<T> => e.type === type);
  /** The reservation id the Governor was granted (from its decision event). */
  const reservationId = (): string => {
    const id = eventsOf('decision')[0]?.reservationId;
    if (!id) throw new Error('no reservation was granted');
    return id;
  };
  return { clock, ledger, authority, governor, events, eventsOf, reservationId };
}

export type RecoveryEnv = Awaited<ReturnType<typeof recoveryEnv>>;

/**
 * The ledger after the scenario: the invariant holds, every scope was charged
 * exactly `spent` (once, not twice), nothing is left reserved, and no debt.
 */
export async function expectLedger(env: RecoveryEnv, spent: number): Promise<void> {
  await assertLedgerInvariant(env.ledger);
  for (const scope of SCOPES) {
    const budget = await env.ledger.getBudget({ scope, unit: UNIT });
    expect(budget, scope).toMatchObject({ spent, reserved: 0, debt: 0, remaining: USD - spent });
  }
}

/** The clock's time past the reservation's TTL + grace (for "nothing happens later" checks). */
export async function runPastExpiry(env: RecoveryEnv): Promise<void> {
  env.clock.advance(2 * (TTL_MS + GRACE_MS));
  await flushMicrotasks();
  await env.ledger.sweepExpired();
}

/** A journal that records what the Governor tells it. */
export function recordingJournal() {
  const calls: { op: 'pending' | 'resolved'; key: string }[] = [];
  const journal: SettlementJournal = {
    pending: async (entry) => {
      calls.push({ op: 'pending', key: entry.key });
    },
    resolved: async (key) => {
      calls.push({ op: 'resolved', key });
    },
  };
  return { journal, calls };
}
