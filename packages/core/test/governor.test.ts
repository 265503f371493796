import {
  type Authority,
  AuthorityUnavailableError,
  BudgetDeniedError,
  createGovernor,
  deniedToolMessage,
  type GovernorEvent,
  type GovernorOptions,
  InvalidRequestError,
  ManualClock,
  MemoryAuthority,
  MissingActualError,
  SettlementError,
  stoppedMessage,
  TOOL_DENIED_BY_CAPS,
} from '@governor/core';
import { assertLedgerInvariant } from '@governor/core/testing';
import { describe, expect, it } from 'vitest';

const USD = 'USD_MICROCENTS' as const;
const RUN = 'tenant:acme/workflow:support/run:r1';
const llm = { kind: 'llm.completion', name: 'openai:gpt-4o-mini' };
const cost = (amount: number) => ({ unit: USD, amount });

async function setup(options: Partial<GovernorOptions> = {}) {
  const clock = new ManualClock();
  const ledger = new MemoryAuthority({ clock });
  await ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 10_000 });
  await ledger.createBudget({ scope: RUN, unit: USD, allocated: 1_000 });
  const events: GovernorEvent[] = [];
  const governor = createGovernor({
    authority: ledger,
    admin: ledger,
    subject: { tenant: 'acme', workflow: 'support', run: 'r1' },
    clock,
    on: (e) => events.push(e),
    ...options,
  });
  const budget = async (scope = RUN) =>
    (await ledger.getBudget({ scope, unit: USD })) as NonNullable<
      Awaited<ReturnType<typeof ledger.getBudget>>
    >;
  return { clock, ledger, governor, events, budget };
}

describe('governor.run', () => {
  it('reserves, runs, commits what the work reports', async () => {
    const { governor, ledger, events, budget } = await setup();
    const value = await governor.run({ action: llm, estimate: cost(300) }, async (grant) => {
      expect(grant).toMatchObject({ decision: 'ALLOW', enforced: true, subject: { run: 'r1' } });
      expect((await budget()).reserved).toBe(300);
      return { value: 'hello', actual: 120 };
    });
    expect(value).toBe('hello');
    expect(await budget()).toMatchObject({ spent: 120, reserved: 0 });
    expect(events.map((e) => e.type)).toEqual(['decision', 'commit']);
    await assertLedgerInvariant(ledger);
  });

  it('denies before the work starts, with reason and blocking scope', async () => {
    const { governor, ledger, budget } = await setup();
    let ran = false;
    const error = await governor
      .run({ action: llm, estimate: cost(1_001) }, async () => {
        ran = true;
        return { value: 1, actual: 1 };
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(BudgetDeniedError);
    expect(error).toMatchObject({
      reasonCode: 'BUDGET_EXCEEDED',
      scope: RUN,
      code: 'BUDGET_EXCEEDED',
      status: 409,
    });
    expect(error.message).toContain(`denied: BUDGET_EXCEEDED at ${RUN}`);
    expect(ran).toBe(false);
    expect(await budget()).toMatchObject({ spent: 0, reserved: 0 });
    await assertLedgerInvariant(ledger);
  });

  it('releases when the work throws, and rethrows', async () => {
    const { governor, ledger, events, budget } = await setup();
    await expect(
      governor.run({ action: llm, estimate: cost(400) }, async () => {
        throw new Error('provider 500');
      }),
    ).rejects.toThrow('provider 500');
    expect(await budget()).toMatchObject({ spent: 0, reserved: 0 });
    expect(events.map((e) => e.type)).toEqual(['decision', 'release']);
    await assertLedgerInvariant(ledger);
  });

  it("commits the estimate when asked, marked actual_source: 'estimate'", async () => {
    const { governor, ledger, budget, events } = await setup();
    await governor.run({ action: llm, estimate: cost(250) }, () => ({ value: null, actual: 'estimate' }));
    expect((await budget()).spent).toBe(250);
    const commit = events.find((e) => e.type === 'commit');
    const detail = await ledger.getReservation(commit?.reservationId as string);
    expect(detail.committedMetadata).toEqual({ actual_source: 'estimate' });
  });

  it('settles nothing when the work reports no actual, and says so', async () => {
    const { governor, ledger, events, budget } = await setup();
    const error = (await governor
      .run({ action: llm, estimate: cost(100) }, () => ({ value: 'x' }) as never)
      .catch((e) => e)) as MissingActualError;
    expect(error).toBeInstanceOf(MissingActualError);
    expect(error.value).toBe('x');
    expect(events.map((e) => e.type)).toEqual(['decision', 'actual_missing']);
    expect((await budget()).reserved).toBe(100);
    expect((await ledger.listReservations({ status: 'ACTIVE' })).reservations).toHaveLength(1);
  });

  it('hands caps to the work on ALLOW_WITH_CAPS', async () => {
    const { governor, ledger } = await setup();
    await ledger.setDegradationPolicy({ tiers: [{ atPercent: 50, caps: { maxTokens: 64 } }] });
    await governor.run({ action: llm, estimate: cost(600) }, () => ({ value: 0, actual: 600 }));
    const caps = await governor.run({ action: llm, estimate: cost(10) }, (grant) => ({
      value: grant.caps,
      actual: 10,
    }));
    expect(caps).toEqual({ maxTokens: 64 });
  });

  it('reuses the caller’s key for a retry of the same logical attempt', async () => {
    const { governor, budget } = await setup();
    const a = await governor.begin({ action: llm, estimate: cost(100), idempotencyKey: 'attempt-7' });
    const b = await governor.begin({ action: llm, estimate: cost(100), idempotencyKey: 'attempt-7' });
    expect(b.grant.reservationId).toBe(a.grant.reservationId);
    expect((await budget()).reserved).toBe(100);
    await a.commit(40);
    expect((await budget()).spent).toBe(40);
  });
});

describe('governor.decide', () => {
  it('answers for the current subject without reserving anything', async () => {
    const { governor, ledger, budget } = await setup();
    await ledger.setCaps({ scope: RUN, unit: USD, caps: { maxStepsRemaining: 2 } });
    expect(await governor.decide({ action: llm, estimate: cost(900) })).toMatchObject({
      decision: 'ALLOW_WITH_CAPS',
      caps: { maxStepsRemaining: 2 },
    });
    expect(await governor.decide({ action: llm, estimate: cost(1_001) })).toMatchObject({
      decision: 'DENY',
      reasonCode: 'BUDGET_EXCEEDED',
      blockedScope: RUN,
    });
    expect(await budget()).toMatchObject({ reserved: 0, spent: 0 });
  });
});

describe('governor.begin handles', () => {
  it('settle once: first of commit/release wins; commit after that throws; release is a no-op', async () => {
    const { governor, ledger, budget } = await setup();
    const h = await governor.begin({ action: llm, estimate: cost(200) });
    const [committed, released] = await Promise.allSettled([h.commit(150), h.release('abort')]);
    expect(committed).toMatchObject({
      status: 'fulfilled',
      value: { outcome: 'committed', charged: cost(150) },
    });
    expect(released.status).toBe('fulfilled');
    await expect(h.commit(1)).rejects.toBeInstanceOf(SettlementError);
    await h.release();
    expect(h.state).toBe('committed');
    expect(await budget()).toMatchObject({ spent: 150, reserved: 0 });

    const r = await governor.begin({ action: llm, estimate: cost(200) });
    await Promise.all([r.release('abort'), r.release('again')]);
    await expect(r.commit(5)).rejects.toThrow(/already released/);
    expect(await budget()).toMatchObject({ spent: 150, reserved: 0 });
    await assertLedgerInvariant(ledger);
  });

  it('keeps a long call alive with heartbeats until it settles, and stops beating after', async () => {
    const { governor, ledger, clock, events, budget } = await setup({ ttlMs: 10_000 });
    const h = await governor.begin({ action: llm, estimate: cost(300) });
    for (let i = 0; i < 6; i++) {
      clock.advance(5_000);
      await h.idle();
    }
    expect((await ledger.getReservation(h.grant.reservationId as string)).status).toBe('ACTIVE');
    expect(events.filter((e) => e.type === 'heartbeat').length).toBeGreaterThanOrEqual(5);
    await h.commit(280);
    const beats = events.filter((e) => e.type === 'heartbeat').length;
    clock.advance(60_000);
    expect(events.filter((e) => e.type === 'heartbeat')).toHaveLength(beats);
    expect(await budget()).toMatchObject({ spent: 280, reserved: 0 });
  });

  it('dispose() stops the heartbeat only: the reservation expires but can still be committed as an event', async () => {
    const { governor, clock, events, budget } = await setup({ ttlMs: 10_000 });
    const h = await governor.begin({ action: llm, estimate: cost(300) });
    h.dispose();
    clock.advance(16_000);
    const outcome = await h.commit(120);
    expect(outcome.outcome).toBe('event');
    expect(events.some((e) => e.type === 'commit_fallback_event')).toBe(true);
    expect(await budget()).toMatchObject({ spent: 120, reserved: 0 });
  });
});

describe('context', () => {
  it('nested calls inherit the subject; withRun scopes a run; children add levels only', async () => {
    const { ledger, clock } = await setup();
    const governor = createGovernor({
      authority: ledger,
      subject: { tenant: 'acme', workflow: 'support' },
      clock,
    });
    await ledger.createBudget({ scope: 'tenant:acme/workflow:support/run:r2', unit: USD, allocated: 50 });
    const seen: string[] = [];
    await governor.withRun('r2', async () => {
      await governor.run({ action: llm, estimate: cost(10), subject: { agent: 'writer' } }, async (outer) => {
        seen.push(JSON.stringify(outer.subject));
        await governor.run(
          { action: { kind: 'tool.call', name: 'search' }, estimate: cost(5), subject: { toolset: 'web' } },
          (inner) => {
            seen.push(JSON.stringify(inner.subject));
            return { value: null, actual: 5 };
          },
        );
        return { value: null, actual: 10 };
      });
    });
    expect(seen).toEqual([
      JSON.stringify({ tenant: 'acme', workflow: 'support', run: 'r2', agent: 'writer' }),
      JSON.stringify({ tenant: 'acme', workflow: 'support', run: 'r2', agent: 'writer', toolset: 'web' }),
    ]);
    expect((await ledger.getBudget({ scope: 'tenant:acme/workflow:support/run:r2', unit: USD }))?.spent).toBe(
      15,
    );
    expect(() => governor.withSubject({ workflow: 'billing' }, () => 1)).toThrow(InvalidRequestError);
    await governor.withRun('r2', async () => {
      expect(() => governor.withRun('r3', () => 1)).toThrow('subject.run: is "r2" in this context');
    });
    expect(() => governor.withRun('bad run id', () => 1)).toThrow('subject.run: must match');
  });
});

describe('delegation', () => {
  it('carves a sub-allowance out of the parent; the child cannot overspend; the unused part flows back', async () => {
    const { governor, ledger, budget } = await setup();
    const before = await budget();
    const child = await governor.delegate({ agent: 'researcher' }, cost(300), async () => {
      expect((await budget()).reserved).toBe(300);
      await governor.run({ action: llm, estimate: cost(200) }, () => ({ value: null, actual: 180 }));
      const denied = await governor
        .run({ action: llm, estimate: cost(150) }, () => ({ value: null, actual: 1 }))
        .catch((e) => e);
      expect(denied).toBeInstanceOf(BudgetDeniedError);
      expect(denied.scope).toBe(`${RUN}/agent:researcher`);
      return governor.subject.agent;
    });
    expect(child).toBe('researcher');
    const after = await budget();
    expect(after.remaining).toBe(before.remaining - 180);
    expect(after).toMatchObject({ spent: 180, reserved: 0 });
    expect((await budget('tenant:acme')).spent).toBe(180);
    expect(await budget(`${RUN}/agent:researcher`)).toMatchObject({
      spent: 180,
      remaining: 0,
      isolated: true,
    });
    await assertLedgerInvariant(ledger);
  });

  it('returns the allowance when the child throws, and can delegate to the same child again', async () => {
    const { governor, ledger, budget } = await setup();
    await expect(
      governor.delegate({ agent: 'a' }, cost(100), async () => {
        await governor.run({ action: llm, estimate: cost(30) }, () => ({ value: null, actual: 30 }));
        throw new Error('child failed');
      }),
    ).rejects.toThrow('child failed');
    expect(await budget()).toMatchObject({ spent: 30, reserved: 0 });
    await governor.delegate({ agent: 'a' }, cost(50), async () => {
      await governor.run({ action: llm, estimate: cost(50) }, () => ({ value: null, actual: 20 }));
    });
    expect(await budget()).toMatchObject({ spent: 50, reserved: 0 });
    await assertLedgerInvariant(ledger);
  });

  it('is denied when the parent cannot afford the allowance', async () => {
    const { governor } = await setup();
    await expect(governor.delegate({ agent: 'a' }, cost(5_000), async () => 1)).rejects.toBeInstanceOf(
      BudgetDeniedError,
    );
  });
});

describe('modes', () => {
  it('observe: reports what would be denied, never blocks, records the spend', async () => {
    const { governor, events, budget } = await setup({ mode: 'observe' });
    const value = await governor.run({ action: llm, estimate: cost(5_000) }, (grant) => {
      expect(grant).toMatchObject({ decision: 'DENY', enforced: false });
      return { value: 'ran anyway', actual: 700 };
    });
    expect(value).toBe('ran anyway');
    expect(events[0]).toMatchObject({ type: 'observed', decision: 'DENY', reasonCode: 'BUDGET_EXCEEDED' });
    expect(await budget()).toMatchObject({ spent: 700, reserved: 0 });
  });

  const unreachable = (ledger: Authority): Authority => ({
    ...ledger,
    reserve: async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    },
    event: ledger.event.bind(ledger),
  });

  it('fails closed by default when the authority cannot be reached', async () => {
    const { ledger, clock } = await setup();
    const events: GovernorEvent[] = [];
    const governor = createGovernor({
      authority: unreachable(ledger),
      subject: { tenant: 'acme' },
      clock,
      on: (e) => events.push(e),
    });
    let ran = false;
    const error = await clock
      .runUntilSettled(
        governor.run({ action: llm, estimate: cost(1) }, () => {
          ran = true;
          return { value: 1, actual: 1 };
        }),
      )
      .catch((e) => e);
    expect(error).toBeInstanceOf(AuthorityUnavailableError);
    expect(ran).toBe(false);
    expect(events.map((e) => e.type)).toEqual(['retry', 'fail_closed']);
  });

  it('fails open on request: the work runs, the spend is recorded afterwards', async () => {
    const { ledger, clock } = await setup();
    const events: GovernorEvent[] = [];
    const governor = createGovernor({
      authority: unreachable(ledger),
      subject: { tenant: 'acme' },
      clock,
      failMode: 'open',
      on: (e) => events.push(e),
    });
    const value = await clock.runUntilSettled(
      governor.run({ action: llm, estimate: cost(1) }, () => ({ value: 'ok', actual: 3 })),
    );
    expect(value).toBe('ok');
    expect(events.map((e) => e.type)).toEqual(['retry', 'fail_open']);
    expect((await ledger.getBudget({ scope: 'tenant:acme', unit: USD }))?.spent).toBe(3);
  });
});

describe('risk points', () => {
  it('looks tools up in the configured table', async () => {
    const { governor } = await setup({
      riskPoints: { rules: [{ name: 'send_email', points: 1 }], default: 0 },
    });
    expect(governor.riskPointsFor({ kind: 'tool.call', name: 'send_email' })).toBe(1);
    expect(governor.riskPointsFor({ kind: 'tool.call', name: 'search' })).toBe(0);
  });
});

describe('denial wording', () => {
  const denial = (retryAfterMs?: number, reasonCode = 'BUDGET_EXCEEDED') =>
    new BudgetDeniedError({
      reasonCode,
      scope: RUN,
      retryAfterMs,
      subject: { tenant: 'acme' },
      action: { kind: 'tool.call', name: 'send_email' },
      estimate: { unit: 'RISK_POINTS', amount: 1 },
    });

  it('tells the model to stop, or when to retry when the authority said', () => {
    expect(deniedToolMessage(denial(), 'send_email')).toBe(
      `not executed: send_email was denied — the risk-point budget for ${RUN} is spent. Do not call it again.`,
    );
    expect(deniedToolMessage(denial(1_500), 'send_email')).toBe(
      `not executed: send_email was denied — the risk-point budget for ${RUN} is spent. Retry after 1500 ms.`,
    );
    expect(deniedToolMessage(denial(undefined, 'BUDGET_FROZEN'), 'x')).toContain(
      'refused it (BUDGET_FROZEN)',
    );
    expect(deniedToolMessage(denial(undefined, TOOL_DENIED_BY_CAPS), 'x')).toContain('not allowed any more');
    expect(stoppedMessage(denial())).toBe(
      `Stopped: the next model call was denied — the risk-point budget for ${RUN} is spent.`,
    );
  });
});
