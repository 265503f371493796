/**
 * The `core` and `boundary` scenarios of the client-recovery catalog
 * (shared/spec/client-recovery-scenarios.yaml), bound to native tests: the real
 * Governor over a real MemoryAuthority, with faults injected in between. Each
 * test asserts the scenario's request choreography and its listed assertions,
 * then the ledger invariant and balances.
 */
import { type Amount, flushMicrotasks, MissingActualError, type RunResult } from '@governor/core';
import { expectError } from '@governor/core/testing';
import { describe, expect, it } from 'vitest';
import {
  ACTION,
  ACTUAL,
  CALL,
  CALL_SUBJECT,
  ESTIMATE,
  expectLedger,
  recordingJournal,
  recoveryEnv,
  runPastExpiry,
  TTL_MS,
  UNIT,
} from './env.js';
import { type Operation, TransportError } from './faulty-authority.js';

const actual: Amount = { unit: UNIT, amount: ACTUAL };
const work = async () => ({ value: 'answer', actual: ACTUAL });

/** `[operation, key]` pairs, for comparing choreographies at a glance. */
const steps = (env: { authority: { choreography(): { operation: Operation; idempotencyKey: string }[] } }) =>
  env.authority.choreography().map((r) => [r.operation, r.idempotencyKey]);

describe('CR-CORE-001 lost commit response reuses the same key', () => {
  it('CR-CORE-001 lost commit response: the retry reuses the original key and the commit applies once', async () => {
    const env = await recoveryEnv({ faults: { commit: ['lose-response', 'ok'] } });

    await expect(env.clock.runUntilSettled(env.governor.run(CALL, work))).resolves.toBe('answer');

    const [first, second] = env.authority.requestsFor('commit');
    const key = first?.idempotencyKey as string;
    // expected_requests: commit, commit_same_key
    expect(steps(env)).toEqual([
      ['commit', key],
      ['commit', key],
    ]);
    // retry_uses_original_idempotency_key: the very same request, to the same reservation
    expect(second?.request).toEqual(first?.request);
    expect([first?.reservationId, second?.reservationId]).toEqual([env.reservationId(), env.reservationId()]);
    expect(env.eventsOf('retry')).toMatchObject([{ operation: 'commit', attempt: 1 }]);
    expect(env.eventsOf('retry')[0]?.error).toBeInstanceOf(TransportError);
    // settlement_occurs_at_most_once
    expect(env.eventsOf('commit')).toMatchObject([{ actual, charged: actual }]);
    expect(env.eventsOf('settlement_failed')).toEqual([]);
    expect(await env.ledger.getReservation(env.reservationId())).toMatchObject({
      status: 'COMMITTED',
      committed: actual,
    });
    await expectLedger(env, ACTUAL);
  });

  it('CR-CORE-001 lost commit responses, several in a row: every retry keeps the key, spent once', async () => {
    const env = await recoveryEnv({
      faults: { commit: ['lose-response', 'lose-response', 'lose-response', 'ok'] },
    });
    const handle = await env.governor.begin(CALL);

    const outcome = await env.clock.runUntilSettled(handle.commit(ACTUAL));

    expect(outcome).toMatchObject({ outcome: 'committed', charged: actual });
    const keys = env.authority.requestsFor('commit').map((r) => r.idempotencyKey);
    expect(keys).toHaveLength(4);
    expect(new Set(keys).size).toBe(1);
    expect(env.authority.choreography().map((r) => r.operation)).toEqual([
      'commit',
      'commit',
      'commit',
      'commit',
    ]);
    await expectLedger(env, ACTUAL);
  });
});

describe('CR-CORE-002 expired commit falls back to an event', () => {
  it('CR-CORE-002 commit meets RESERVATION_EXPIRED: an event with the same key carries subject, action and actual', async () => {
    const env = await recoveryEnv({ faults: { commit: ['expired'] } });
    const handle = await env.governor.begin(CALL);

    const outcome = await env.clock.runUntilSettled(handle.commit(ACTUAL));

    const [commit] = env.authority.requestsFor('commit');
    const key = commit?.idempotencyKey as string;
    // expected_requests: commit, event_same_key
    expect(steps(env)).toEqual([
      ['commit', key],
      ['event', key],
    ]);
    // event_carries_original_subject_action_actual
    const [event] = env.authority.requestsFor('event');
    expect(event?.request).toMatchObject({
      idempotencyKey: key,
      subject: CALL_SUBJECT,
      action: ACTION,
      actual,
    });
    expect(env.eventsOf('commit_fallback_event')).toMatchObject([
      { reason: 'RESERVATION_EXPIRED', actual, key: handle.grant.key, reservationId: env.reservationId() },
    ]);
    expect(outcome).toMatchObject({ outcome: 'event', charged: actual });
    // the 410 was real: the ledger expired the reservation, nothing was committed on it
    await expectError(env.ledger.getReservation(env.reservationId()), 'RESERVATION_EXPIRED');
    // settlement_occurs_at_most_once: charged once, by the event; never released
    expect(env.eventsOf('commit')).toEqual([]);
    expect(env.eventsOf('release')).toEqual([]);
    await expectLedger(env, ACTUAL);
  });

  it('CR-CORE-002 the fallback event keeps the commit key through its own lost response', async () => {
    const env = await recoveryEnv({ faults: { commit: ['expired'], event: ['lose-response', 'ok'] } });

    await expect(env.clock.runUntilSettled(env.governor.run(CALL, work))).resolves.toBe('answer');

    const key = env.authority.requestsFor('commit')[0]?.idempotencyKey as string;
    expect(steps(env)).toEqual([
      ['commit', key],
      ['event', key],
      ['event', key],
    ]);
    const [first, second] = env.authority.requestsFor('event');
    expect(second?.request).toEqual(first?.request);
    expect(env.eventsOf('commit_fallback_event')).toHaveLength(1);
    await expectLedger(env, ACTUAL);
  });
});

describe('CR-CORE-003 heartbeat transport failure is observable and non-fatal', () => {
  it('CR-CORE-003 extend transport error: reported, retried with the same key, work continues, commit happens', async () => {
    const env = await recoveryEnv({ faults: { extend: ['transport', 'ok'] } });
    const handle = await env.governor.begin(CALL);
    const id = handle.grant.reservationId as string;
    const { expiresAtMs } = await env.ledger.getReservation(id);

    env.clock.advance(TTL_MS * 0.5 + 1); // past ttl × 0.5: the heartbeat fires
    await env.clock.runUntilSettled(handle.idle()); // its same-key retry backs off on the same clock

    const [first, second] = env.authority.requestsFor('extend');
    const extendKey = first?.idempotencyKey as string;
    // heartbeat_failure_reports_reservation_and_disposition
    expect(env.eventsOf('heartbeat_failed')).toMatchObject([
      { reservationId: id, key: handle.grant.key, willRetry: true },
    ]);
    expect(env.eventsOf('heartbeat_failed')[0]?.error).toBeInstanceOf(TransportError);
    // the retry is the same extension: same key, same request
    expect(second?.request).toEqual(first?.request);
    expect(env.eventsOf('heartbeat')).toMatchObject([{ reservationId: id }]);
    expect((await env.ledger.getReservation(id)).expiresAtMs).toBe(expiresAtMs + TTL_MS * 0.5);

    // guarded_action_continues_under_warn_policy: nothing was cancelled or released
    expect(handle.state).toBe('open');
    env.clock.advance(TTL_MS * 0.25); // the work keeps running past a beat…
    await flushMicrotasks();
    expect((await env.ledger.getReservation(id)).status).toBe('ACTIVE');

    // final_settlement_is_attempted
    const outcome = await env.clock.runUntilSettled(handle.commit(ACTUAL));
    expect(outcome).toMatchObject({ outcome: 'committed', charged: actual });
    const commitKey = env.authority.requestsFor('commit')[0]?.idempotencyKey as string;
    // expected_requests: extend, extend_same_key, commit
    expect(steps(env)).toEqual([
      ['extend', extendKey],
      ['extend', extendKey],
      ['commit', commitKey],
    ]);
    await expectLedger(env, ACTUAL);
  });

  it('CR-CORE-003 a beat that fails for good is reported as not retried, and the work still commits', async () => {
    const env = await recoveryEnv({
      heartbeat: { retries: 2 },
      faults: { extend: ['transport', 'timeout', 'transport'] },
    });
    const handle = await env.governor.begin(CALL);

    env.clock.advance(TTL_MS * 0.5 + 1);
    await env.clock.runUntilSettled(handle.idle());

    expect(env.eventsOf('heartbeat_failed').map((e) => e.willRetry)).toEqual([true, true, false]);
    expect(env.eventsOf('heartbeat_failed').map((e) => e.reservationId)).toEqual(
      Array(3).fill(handle.grant.reservationId),
    );
    expect(new Set(env.authority.requestsFor('extend').map((r) => r.idempotencyKey)).size).toBe(1);
    expect(handle.state).toBe('open');
    expect(env.authority.requestsFor('release')).toEqual([]);

    const outcome = await env.clock.runUntilSettled(handle.commit(ACTUAL));
    expect(outcome).toMatchObject({ outcome: 'committed', charged: actual });
    expect(env.authority.choreography().map((r) => r.operation)).toEqual([
      'extend',
      'extend',
      'extend',
      'commit',
    ]);
    await expectLedger(env, ACTUAL);
  });

  it('CR-CORE-003 under governor.run: long work outlives a failed beat and its result is committed', async () => {
    const env = await recoveryEnv({ faults: { extend: ['timeout', 'ok'] } });
    const longWork = async (): Promise<RunResult<string>> => {
      await env.clock.sleep(TTL_MS * 0.75);
      return { value: 'long answer', actual: ACTUAL };
    };

    await expect(env.clock.runUntilSettled(env.governor.run(CALL, longWork))).resolves.toBe('long answer');

    expect(env.eventsOf('heartbeat_failed')).toMatchObject([
      { willRetry: true, reservationId: env.reservationId() },
    ]);
    expect(env.authority.choreography().map((r) => r.operation)).toEqual(['extend', 'extend', 'commit']);
    await expectLedger(env, ACTUAL);
  });
});

describe('CR-CORE-004 protocol-invalid settlement success remains ambiguous', () => {
  const bodies: [string, (response: Record<string, unknown>) => unknown][] = [
    ['without status and charged', ({ status: _s, charged: _c, ...rest }) => rest],
    ['without charged', ({ charged: _c, ...rest }) => rest],
    ['with another status', (r) => ({ ...r, status: 'RELEASED' })],
    ['with a charged that is not an amount', (r) => ({ ...r, charged: { unit: UNIT, amount: '700' } })],
    ['with no body', () => undefined],
    ['with a null body', () => null],
  ];

  it.each(bodies)(
    'CR-CORE-004 a 2xx commit answer %s is not success: the commit is retried with the original key',
    async (_, malformed) => {
      const env = await recoveryEnv({
        faults: { commit: ['nonconformant-2xx', 'ok'] },
        malformed: (_op, r) => malformed(r as Record<string, unknown>),
      });
      const handle = await env.governor.begin(CALL);

      const outcome = await env.clock.runUntilSettled(handle.commit(ACTUAL));

      const [first, second] = env.authority.requestsFor('commit');
      const key = first?.idempotencyKey as string;
      // expected_requests: commit, commit_same_key
      expect(steps(env)).toEqual([
        ['commit', key],
        ['commit', key],
      ]);
      expect(second?.request).toEqual(first?.request);
      // only_schema_valid_expected_status_is_terminal_success: success comes from the second, valid answer
      expect(outcome).toMatchObject({
        outcome: 'committed',
        charged: actual,
        response: { status: 'COMMITTED', charged: actual },
      });
      const types = env.events.map((e) => e.type);
      expect(types.filter((t) => t === 'retry' || t === 'commit')).toEqual(['retry', 'commit']);
      expect(env.eventsOf('retry')).toMatchObject([{ operation: 'commit', attempt: 1 }]);
      await expectLedger(env, ACTUAL);
    },
  );

  it('CR-CORE-004 answers that stay non-conformant never become success, and the key stays retained', async () => {
    const { journal, calls } = recordingJournal();
    const env = await recoveryEnv({
      journal,
      retry: { attempts: 3 },
      faults: { commit: ['nonconformant-2xx', 'nonconformant-2xx', 'nonconformant-2xx'] },
    });
    const handle = await env.governor.begin(CALL);

    const outcome = await env.clock.runUntilSettled(handle.commit(ACTUAL));

    const keys = env.authority.requestsFor('commit').map((r) => r.idempotencyKey);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    // only_schema_valid_expected_status_is_terminal_success
    expect(outcome.outcome).toBe('failed');
    expect(env.eventsOf('commit')).toEqual([]);
    expect(env.eventsOf('settlement_failed')).toMatchObject([{ operation: 'commit', terminal: false }]);
    // ambiguous_success_retains_original_idempotency_key: recorded as pending, never resolved
    expect(calls).toEqual([{ op: 'pending', key: keys[0] }]);
    // the ledger applied it once (the first request); replays charged nothing more
    await expectLedger(env, ACTUAL);
  });
});

describe('CR-BOUNDARY-001 missing actual is surfaced without settlement', () => {
  const answers: [string, () => unknown][] = [
    ['{ value } without actual', () => ({ value: 'answer' })],
    ['{ value, actual: undefined }', () => ({ value: 'answer', actual: undefined })],
    ['{ value, actual: null }', () => ({ value: 'answer', actual: null })],
    ['undefined', () => undefined],
  ];

  it.each(answers)(
    'CR-BOUNDARY-001 governor.run whose work returns %s: no settlement request, MissingActualError',
    async (_, answer) => {
      const env = await recoveryEnv();
      const fn = async () => answer() as RunResult<string>;

      const error = await env.clock.runUntilSettled(env.governor.run(CALL, fn)).catch((e: unknown) => e);

      // missing_actual_or_guarded_action_failure_is_surfaced
      expect(error).toBeInstanceOf(MissingActualError);
      expect(error).toMatchObject({ reservationId: env.reservationId() });
      expect(env.eventsOf('actual_missing')).toMatchObject([
        { reservationId: env.reservationId(), action: ACTION },
      ]);
      // no_commit_or_event_without_known_actual: expected_requests is empty, now and later
      expect(env.authority.choreography()).toEqual([]);
      await runPastExpiry(env);
      expect(env.authority.choreography()).toEqual([]);
      expect(env.events.map((e) => e.type)).toEqual(['decision', 'actual_missing']);
      // nothing spent; the reservation expired on its own
      await expectError(env.ledger.getReservation(env.reservationId()), 'RESERVATION_EXPIRED');
      await expectLedger(env, 0);
    },
  );

  it('CR-BOUNDARY-001 handle.commit without an actual rejects and sends nothing', async () => {
    const env = await recoveryEnv();
    const handle = await env.governor.begin(CALL);

    await expect(handle.commit(undefined as never)).rejects.toBeInstanceOf(MissingActualError);

    expect(handle.state).toBe('open');
    handle.dispose();
    await runPastExpiry(env);
    expect(env.authority.choreography()).toEqual([]);
    expect(env.eventsOf('commit')).toEqual([]);
    await expectLedger(env, 0);
  });

  it('CR-BOUNDARY-001 the estimate is committed only when asked for explicitly', async () => {
    const env = await recoveryEnv();

    await env.clock.runUntilSettled(
      env.governor.run(CALL, async () => ({ value: 'answer', actual: 'estimate' })),
    );

    expect(env.authority.choreography().map((r) => r.operation)).toEqual(['commit']);
    expect(env.authority.requestsFor('commit')[0]?.request).toMatchObject({
      actual: ESTIMATE,
      metadata: { actual_source: 'estimate' },
    });
    await expectLedger(env, ESTIMATE.amount);
  });
});
