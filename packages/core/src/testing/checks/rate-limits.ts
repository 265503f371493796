import { expect, it } from 'vitest';
import type { RateLimit } from '../../authority.js';
import { LOOP_METADATA_KEY } from '../../ledger/rate-limits.js';
import type { ReservationCreateRequest } from '../../protocol/messages.js';
import { assertAuditReplays } from '../audit-invariant.js';
import { type FreshLedger, key, SCOPES, SUBJECT, type TestLedger, USD_UNIT } from '../harness.js';

const RUN = SCOPES[2];
const email = { kind: 'tool.call', name: 'send_email' };

/** A tenant budget and a run budget with `limits`, ample in amount. */
async function limited(t: TestLedger, limits: RateLimit[]) {
  await t.budget(SCOPES[0], 1_000_000);
  await t.budget(RUN, 1_000_000, { rateLimits: limits });
}

const loop = (argsHash: string, threshold = 3, windowMs = 60_000): Partial<ReservationCreateRequest> => ({
  action: email,
  metadata: { [LOOP_METADATA_KEY]: { argsHash, threshold, windowMs } },
});

/** Rate limits on budgets and the loop breaker: sliding windows, atomic with the reserve. */
export function rateLimitChecks(fresh: FreshLedger, options: { audit?: boolean } = {}) {
  it('allows maxCalls within the window, denies the next with RATE_LIMITED and when, slides', async () => {
    const t = await fresh();
    await limited(t, [{ maxCalls: 3, windowMs: 60_000 }]);
    for (let i = 0; i < 2; i++) expect((await t.reserve(10)).decision).toBe('ALLOW');
    await t.advance(10_000);
    expect((await t.reserve(10)).decision).toBe('ALLOW');
    const denied = await t.reserve(10);
    expect(denied).toMatchObject({ decision: 'DENY', reasonCode: 'RATE_LIMITED', blockedScope: RUN });
    expect(denied.retryAfterMs).toBe(50_000);
    expect(denied.reservationId).toBeUndefined();
    // A dry run and a decide see the same limit and count nothing.
    expect(await t.reserve(10, { dryRun: true })).toMatchObject({ reasonCode: 'RATE_LIMITED' });
    const decided = await t.ledger.decide({
      idempotencyKey: key('dec'),
      subject: SUBJECT,
      action: { kind: 'llm.completion', name: 'gpt-4o-mini' },
      estimate: { unit: USD_UNIT, amount: 10 },
    });
    expect(decided).toMatchObject({ decision: 'DENY', reasonCode: 'RATE_LIMITED', retryAfterMs: 50_000 });
    await t.advance(49_999);
    expect((await t.reserve(10)).retryAfterMs).toBe(1);
    await t.advance(1);
    // The first two left the window: two more fit, then the third waits for the one at 10 s.
    expect((await t.reserve(10)).decision).toBe('ALLOW');
    expect((await t.reserve(10)).decision).toBe('ALLOW');
    expect(await t.reserve(10)).toMatchObject({ reasonCode: 'RATE_LIMITED', retryAfterMs: 10_000 });
    expect(await t.budgetOf(RUN)).toMatchObject({ reserved: 50, rateLimits: [{ maxCalls: 3 }] });
    await t.check();
  });

  it('limits one action per window and leaves the others alone', async () => {
    const t = await fresh();
    await limited(t, [{ action: 'send_email', maxCalls: 2, windowMs: 60_000 }]);
    for (let i = 0; i < 2; i++) expect((await t.reserve(1, { action: email })).decision).toBe('ALLOW');
    expect(await t.reserve(1, { action: email })).toMatchObject({
      reasonCode: 'RATE_LIMITED',
      retryAfterMs: 60_000,
    });
    for (let i = 0; i < 5; i++) expect((await t.reserve(1)).decision).toBe('ALLOW');
    expect((await t.reserve(1, { action: { kind: 'tool.call', name: 'search' } })).decision).toBe('ALLOW');
    await t.check();
  });

  it('limits the amount per window (TPM on a TOKENS budget), counting only ALLOWs', async () => {
    const t = await fresh();
    await t.ledger.createBudget({ scope: SCOPES[0], unit: 'TOKENS', allocated: 1_000_000 });
    await t.ledger.createBudget({
      scope: RUN,
      unit: 'TOKENS',
      allocated: 1_000_000,
      rateLimits: [{ kind: 'llm.completion', maxAmount: 1_000, windowMs: 60_000 }],
    });
    const tokens = (amount: number) => t.reserve(amount, { estimate: { unit: 'TOKENS', amount } });
    expect((await tokens(600)).decision).toBe('ALLOW');
    await t.advance(5_000);
    expect((await tokens(300)).decision).toBe('ALLOW');
    await t.advance(5_000);
    // 900 in the window: 200 more waits for the 600 to leave (at 60 s), 100 fits.
    expect(await tokens(200)).toMatchObject({ reasonCode: 'RATE_LIMITED', retryAfterMs: 50_000 });
    expect(await tokens(1_001)).toMatchObject({ reasonCode: 'RATE_LIMITED', retryAfterMs: 60_000 });
    expect((await tokens(100)).decision).toBe('ALLOW');
    await t.advance(50_000);
    expect((await tokens(600)).decision).toBe('ALLOW');
    await t.check();
  });

  it('a template gives every run its own window', async () => {
    const t = await fresh();
    await t.budget(SCOPES[0], 1_000_000);
    await t.ledger.addTemplate({
      match: 'tenant:acme/workflow:support/run:*',
      unit: USD_UNIT,
      allocated: 1_000,
      rateLimits: [{ action: 'send_email', maxCalls: 2, windowMs: 60_000 }],
    });
    const other = { subject: { ...SUBJECT, run: 'r2' }, action: email };
    for (let i = 0; i < 2; i++) expect((await t.reserve(1, { action: email })).decision).toBe('ALLOW');
    expect((await t.reserve(1, { action: email })).reasonCode).toBe('RATE_LIMITED');
    expect((await t.reserve(1, other)).decision).toBe('ALLOW');
    await t.check();
  });

  it('lets exactly maxCalls of 200 concurrent reserves through', async () => {
    const t = await fresh();
    await limited(t, [{ maxCalls: 10, windowMs: 60_000 }]);
    const answers = await Promise.all(Array.from({ length: 200 }, () => t.reserve(1)));
    expect(answers.filter((a) => a.decision === 'ALLOW')).toHaveLength(10);
    expect(answers.filter((a) => a.reasonCode === 'RATE_LIMITED')).toHaveLength(190);
    expect(await t.budgetOf(RUN)).toMatchObject({ reserved: 10 });
    await t.check();
  });

  it('the loop breaker denies the threshold-th identical call in a run with LOOP_DETECTED', async () => {
    const t = await fresh();
    await t.budgets(1_000, 1_000, 1_000);
    expect((await t.reserve(1, loop('aa11aa11'))).decision).toBe('ALLOW');
    expect((await t.reserve(1, loop('aa11aa11'))).decision).toBe('ALLOW');
    const denied = await t.reserve(1, loop('aa11aa11'));
    expect(denied).toMatchObject({ decision: 'DENY', reasonCode: 'LOOP_DETECTED', blockedScope: RUN });
    expect(denied.retryAfterMs).toBeUndefined();
    // Other arguments, another run: not the same loop.
    expect((await t.reserve(1, loop('bb22bb22'))).decision).toBe('ALLOW');
    expect((await t.reserve(1, { ...loop('aa11aa11'), subject: { ...SUBJECT, run: 'r2' } })).decision).toBe(
      'ALLOW',
    );
    // Once the window has slid, the call is allowed again.
    await t.advance(60_000);
    expect((await t.reserve(1, loop('aa11aa11'))).decision).toBe('ALLOW');
    expect(await t.budgetOf(RUN)).toMatchObject({ reserved: 4 });
    await t.check();
    if (options.audit !== false) await assertAuditReplays(t.ledger);
  });

  it('rejects a malformed loop guard as INVALID_REQUEST', async () => {
    const t = await fresh();
    await t.budgets(1_000, 1_000, 1_000);
    const bad = { ...loop('aa11aa11'), metadata: { [LOOP_METADATA_KEY]: { argsHash: 'x', threshold: 1 } } };
    await expect(t.reserve(1, bad)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  if (options.audit !== false) {
    it('records RATE_LIMITED denials in the audit trail, which still replays', async () => {
      const t = await fresh();
      await limited(t, [{ maxCalls: 1, windowMs: 1_000 }]);
      await t.reserve(1);
      await t.reserve(1);
      await t.advance(1_000);
      await t.reserve(1);
      const records = await assertAuditReplays(t.ledger);
      const denied = records.filter((r) => r.reasonCode === 'RATE_LIMITED');
      expect(denied).toHaveLength(1);
      expect(denied[0]).toMatchObject({ decision: 'DENY', blockedScope: RUN });
    });
  }
}
