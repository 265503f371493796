/**
 * Settlement faults beyond the catalog's core scenarios, under the same rules:
 * transient answers (5xx, 429) are retried with the same key after a back-off
 * (Retry-After when given); RESERVATION_FINALIZED and IDEMPOTENCY_MISMATCH are
 * final and never turn into a release; a release after failed work retries too.
 */
import type { GovernorError } from '@governor/core';
import { describe, expect, it } from 'vitest';
import { ACTUAL, CALL, expectLedger, recoveryEnv, runPastExpiry, UNIT } from './env.js';
import type { RecordedRequest } from './faulty-authority.js';

const work = async () => ({ value: 'answer', actual: ACTUAL });

/** The first request is answered, then retried after exactly `delayMs` of clock time, with the same key and body. */
function expectRetriedAfter(requests: RecordedRequest[], delayMs: number): void {
  const [first, second] = requests;
  expect(requests).toHaveLength(2);
  expect(second?.idempotencyKey).toBe(first?.idempotencyKey);
  expect(second?.request).toEqual(first?.request);
  expect((second?.at as number) - (first?.at as number)).toBe(delayMs);
}

describe('commit on transient answers', () => {
  it('5xx then success: the commit is retried with the same key after a back-off', async () => {
    const env = await recoveryEnv({ retry: { baseDelayMs: 200 }, faults: { commit: ['5xx', 'ok'] } });

    await expect(env.clock.runUntilSettled(env.governor.run(CALL, work))).resolves.toBe('answer');

    const [retry] = env.eventsOf('retry');
    expect(env.eventsOf('retry')).toHaveLength(1);
    expect(retry).toMatchObject({ operation: 'commit', attempt: 1 });
    expect((retry?.error as GovernorError | undefined)?.code).toBe('INTERNAL_ERROR');
    // the first back-off is jittered within [base / 2, base]
    expect(retry?.delayMs).toBeGreaterThanOrEqual(100);
    expect(retry?.delayMs).toBeLessThanOrEqual(200);
    expectRetriedAfter(env.authority.requestsFor('commit'), retry?.delayMs as number);
    expect(env.eventsOf('commit')).toHaveLength(1);
    await expectLedger(env, ACTUAL);
  });

  it('429 with Retry-After: the retry waits exactly the time the authority asked for', async () => {
    const env = await recoveryEnv({ retryAfterMs: 1_234, faults: { commit: ['429', 'ok'] } });

    await expect(env.clock.runUntilSettled(env.governor.run(CALL, work))).resolves.toBe('answer');

    expect(env.eventsOf('retry')).toMatchObject([{ operation: 'commit', attempt: 1, delayMs: 1_234 }]);
    expect((env.eventsOf('retry')[0]?.error as GovernorError | undefined)?.code).toBe('LIMIT_EXCEEDED');
    expectRetriedAfter(env.authority.requestsFor('commit'), 1_234);
    await expectLedger(env, ACTUAL);
  });
});

describe('commit on final answers', () => {
  it.each([
    ['RESERVATION_FINALIZED', 'finalized', ACTUAL], // another worker committed the same actual first
    ['IDEMPOTENCY_MISMATCH', 'mismatch', ACTUAL + 1], // another writer used the key for another actual first
  ] as const)('%s is terminal: one commit, no retry, never a release', async (code, fault, spent) => {
    const env = await recoveryEnv({ faults: { commit: [fault] } });
    const handle = await env.governor.begin(CALL);

    const outcome = await env.clock.runUntilSettled(handle.commit(ACTUAL));

    expect(outcome.outcome).toBe('failed');
    expect(outcome.outcome === 'failed' && (outcome.error as GovernorError).code).toBe(code);
    expect(env.eventsOf('settlement_failed')).toMatchObject([{ operation: 'commit', terminal: true }]);
    expect(env.eventsOf('retry')).toEqual([]);
    await handle.release('too late'); // once committing, a release is a no-op
    await runPastExpiry(env);
    expect(env.authority.choreography().map((r) => r.operation)).toEqual(['commit']);
    expect(env.eventsOf('release')).toEqual([]);
    await expectLedger(env, spent);
  });

  it('RESERVATION_FINALIZED under governor.run: the value is returned, nothing released', async () => {
    const env = await recoveryEnv({ faults: { commit: ['finalized'] } });

    await expect(env.clock.runUntilSettled(env.governor.run(CALL, work))).resolves.toBe('answer');

    expect(env.authority.choreography().map((r) => r.operation)).toEqual(['commit']);
    expect(env.eventsOf('settlement_failed')).toMatchObject([{ terminal: true }]);
    await expectLedger(env, ACTUAL);
  });
});

describe('release after failed work', () => {
  it('the work throws, the release meets a 5xx and is retried with the same key', async () => {
    const env = await recoveryEnv({ retry: { baseDelayMs: 50 }, faults: { release: ['5xx', 'ok'] } });
    const failure = new Error('tool crashed');

    await expect(
      env.clock.runUntilSettled(
        env.governor.run(CALL, async () => {
          throw failure;
        }),
      ),
    ).rejects.toBe(failure);

    const [retry] = env.eventsOf('retry');
    expect(env.eventsOf('retry')).toMatchObject([{ operation: 'release', attempt: 1 }]);
    expectRetriedAfter(env.authority.requestsFor('release'), retry?.delayMs as number);
    expect(env.authority.choreography().map((r) => r.operation)).toEqual(['release', 'release']);
    expect(env.eventsOf('release')).toMatchObject([{ released: { unit: UNIT, amount: 1_000 } }]);
    expect(env.eventsOf('commit')).toEqual([]);
    expect((await env.ledger.getReservation(env.reservationId())).status).toBe('RELEASED');
    await expectLedger(env, 0);
  });

  it('a lost release response is retried with the same key and releases once', async () => {
    const env = await recoveryEnv({ faults: { release: ['lose-response', 'ok'] } });

    await expect(
      env.clock.runUntilSettled(
        env.governor.run(CALL, async () => {
          throw new Error('aborted');
        }),
      ),
    ).rejects.toThrow('aborted');

    const [first, second] = env.authority.requestsFor('release');
    expect(second?.idempotencyKey).toBe(first?.idempotencyKey);
    expect(env.eventsOf('release')).toHaveLength(1);
    expect(env.eventsOf('settlement_failed')).toEqual([]);
    await expectLedger(env, 0);
  });
});

describe('heartbeat on transient answers', () => {
  it('429 on extend: the same-key retry waits Retry-After when it fits in the lead left', async () => {
    const env = await recoveryEnv({ retryAfterMs: 1_234, faults: { extend: ['429', 'ok'] } });
    const handle = await env.governor.begin(CALL);
    env.clock.advance(30_000); // the first beat, at half the 60 s lead
    await env.clock.runUntilSettled(handle.idle());
    expect(env.eventsOf('heartbeat_failed')).toMatchObject([{ willRetry: true }]);
    expectRetriedAfter(env.authority.requestsFor('extend'), 1_234);
    await env.clock.runUntilSettled(handle.commit(ACTUAL));
    await expectLedger(env, ACTUAL);
  });

  it('429 on extend with a Retry-After longer than half the lead left: reported, not retried', async () => {
    const env = await recoveryEnv({ retryAfterMs: 20_000, faults: { extend: ['429'] } });
    const handle = await env.governor.begin(CALL);
    env.clock.advance(30_000);
    await env.clock.runUntilSettled(handle.idle());
    expect(env.eventsOf('heartbeat_failed')).toMatchObject([{ willRetry: false }]);
    expect(env.authority.requestsFor('extend')).toHaveLength(1);
    await env.clock.runUntilSettled(handle.commit(ACTUAL));
    await expectLedger(env, ACTUAL);
  });
});
