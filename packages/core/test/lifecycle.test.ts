import {
  type Authority,
  AuthorityTimeoutError,
  AuthorityUnavailableError,
  BudgetDeniedError,
  createGovernor,
  type GovernorEvent,
  type GovernorOptions,
  governToolCall,
  InvalidActualError,
  InvalidRequestError,
  isTransportFailure,
  ManualClock,
  MemoryAuthority,
  TransportError,
} from '@governor/core';
import { assertLedgerInvariant } from '@governor/core/testing';
import { describe, expect, it } from 'vitest';

const USD = 'USD_MICROCENTS' as const;
const RUN = 'tenant:acme/workflow:support/run:r1';
const llm = { kind: 'llm.completion', name: 'openai:gpt-4o-mini' };
const cost = (amount: number) => ({ unit: USD, amount });

/** An authority whose chosen operations never answer until released by hand. */
function hanging(ledger: MemoryAuthority, ops: (keyof Authority)[]) {
  const gates: (() => void)[] = [];
  const authority = new Proxy(ledger, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      if (!ops.includes(prop as keyof Authority)) return value.bind(target);
      return (...args: unknown[]) =>
        new Promise((resolve, reject) => {
          gates.push(() =>
            (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).then(resolve, reject),
          );
        });
    },
  }) as Authority;
  return {
    authority,
    answerAll: () => {
      for (const open of gates.splice(0)) open();
    },
    waiting: () => gates.length,
  };
}

async function setup(
  options: Partial<GovernorOptions> = {},
  ledgerAuthority?: (l: MemoryAuthority) => Authority,
) {
  const clock = new ManualClock();
  const ledger = new MemoryAuthority({ clock });
  await ledger.createBudget({ scope: 'tenant:acme', unit: USD, allocated: 10_000 });
  await ledger.createBudget({ scope: RUN, unit: USD, allocated: 1_000 });
  const events: GovernorEvent[] = [];
  const governor = createGovernor({
    authority: ledgerAuthority ? ledgerAuthority(ledger) : ledger,
    admin: ledger,
    subject: { tenant: 'acme', workflow: 'support', run: 'r1' },
    clock,
    on: (e) => events.push(e),
    ...options,
  });
  const budget = async () =>
    (await ledger.getBudget({ scope: RUN, unit: USD })) as { spent: number; reserved: number };
  const settled = async (spent: number) => {
    await assertLedgerInvariant(ledger);
    expect((await ledger.listReservations({ status: 'ACTIVE' })).reservations).toEqual([]);
    expect(await budget()).toMatchObject({ spent, reserved: 0 });
  };
  return { clock, ledger, governor, events, budget, settled };
}

describe('handle limits (begin)', () => {
  it('a consumer that stops pulling: settled at the idle limit, what was delivered committed', async () => {
    const { clock, governor, events, settled, budget } = await setup({ handles: { idleTimeoutMs: 10_000 } });
    const handle = await governor.begin({ action: llm, estimate: cost(400) });
    const expired: string[] = [];
    handle.onExpire((reason) => expired.push(reason));
    handle.progress(30);
    handle.progress(70);
    clock.advance(9_999);
    expect((await budget()).reserved).toBe(400);
    await clock.runUntilSettled(Promise.resolve(clock.advance(1)));
    await governor.drain();
    expect(expired).toEqual(['idle']);
    expect(events.find((e) => e.type === 'commit')).toMatchObject({
      actual: cost(70),
      actualSource: 'partial',
    });
    await settled(70);
  });

  it('a pull in flight is not idleness; the idle clock starts again when it ends', async () => {
    const { clock, governor, settled } = await setup({ handles: { idleTimeoutMs: 1_000 } });
    const handle = await governor.begin({ action: llm, estimate: cost(400) });
    let answer!: () => void;
    const pull = handle.track(new Promise<void>((resolve) => (answer = resolve)));
    clock.advance(5_000);
    expect(handle.state).toBe('open');
    answer();
    await pull;
    clock.advance(999);
    expect(handle.state).toBe('open');
    clock.advance(1);
    await governor.drain();
    await settled(0); // nothing delivered: released
  });

  it('a handle nobody ever reads settles at its maximum lifetime', async () => {
    const { clock, governor, events, settled } = await setup({ handles: { maxLifetimeMs: 60_000 } });
    await governor.begin({ action: llm, estimate: cost(400) });
    clock.advance(60_000);
    await governor.drain();
    expect(events.find((e) => e.type === 'abandoned')).toMatchObject({ reason: 'lifetime' });
    await settled(0);
  });

  it('heartbeats are finite: after maxExtensions the reservation runs out on its TTL', async () => {
    const { clock, governor, events, ledger } = await setup({
      heartbeat: { maxExtensions: 3 },
      ttlMs: 1_000,
    });
    const work = governor.run({ action: llm, estimate: cost(100) }, async () => {
      await clock.sleep(60_000);
      return { value: 'late', actual: 80 };
    });
    await expect(clock.runUntilSettled(work)).resolves.toBe('late');
    expect(events.filter((e) => e.type === 'heartbeat')).toHaveLength(3);
    expect(events.some((e) => e.type === 'heartbeat_exhausted')).toBe(true);
    // Expired, so the commit became an event: charged once, at what was used.
    expect(events.some((e) => e.type === 'commit_fallback_event')).toBe(true);
    expect(await ledger.getBudget({ scope: RUN, unit: USD })).toMatchObject({ spent: 80, reserved: 0 });
  });
});

describe('deadlines', () => {
  it('a reserve that never answers: fails closed after the retries, each within its deadline', async () => {
    let gate: ReturnType<typeof hanging> | undefined;
    const { clock, governor } = await setup({ timeouts: { reserve: 1_000 } }, (l) => {
      gate = hanging(l, ['reserve']);
      return gate.authority;
    });
    const error = await clock.runUntilSettled(
      governor
        .run({ action: llm, estimate: cost(1) }, async () => ({ value: 1, actual: 1 }))
        .catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(AuthorityUnavailableError);
    expect((error as AuthorityUnavailableError).cause).toBeInstanceOf(AuthorityTimeoutError);
    expect(gate?.waiting()).toBe(2); // two attempts, same key
  });

  it("the call's signal aborts a hung reserve; a reservation that lands afterwards is released", async () => {
    let gate: ReturnType<typeof hanging> | undefined;
    const { governor, events, settled } = await setup({}, (l) => {
      gate = hanging(l, ['reserve']);
      return gate.authority;
    });
    const abort = new AbortController();
    const ran: string[] = [];
    const call = governor.run({ action: llm, estimate: cost(100), signal: abort.signal }, async () => {
      ran.push('work');
      return { value: 1, actual: 1 };
    });
    abort.abort(new Error('user left'));
    await expect(call).rejects.toThrow('user left');
    gate?.answerAll();
    await governor.drain();
    expect(ran).toEqual([]);
    expect(events.some((e) => e.type === 'late_reservation_released')).toBe(true);
    await settled(0);
  });

  it('a commit that never answers does not withhold the result; it lands in the background with its key', async () => {
    let gate: ReturnType<typeof hanging> | undefined;
    const { clock, governor, events, settled } = await setup(
      { settleWaitMs: 2_000, timeouts: { commit: 60_000 } },
      (l) => {
        gate = hanging(l, ['commit']);
        return gate.authority;
      },
    );
    const value = governor.run({ action: llm, estimate: cost(100) }, async () => ({
      value: 'answer',
      actual: 40,
    }));
    await expect(clock.runUntilSettled(value)).resolves.toBe('answer');
    expect(events.some((e) => e.type === 'settlement_backgrounded')).toBe(true);
    gate?.answerAll();
    await governor.drain();
    await settled(40);
  });
});

describe('fail mode: only transport failures count as an outage', () => {
  const broken = (error: unknown) => (l: MemoryAuthority) =>
    ({ ...l, reserve: async () => Promise.reject(error), decide: l.decide.bind(l) }) as unknown as Authority;

  it('a TypeError inside the authority propagates even with failMode open; nothing runs', async () => {
    const { governor } = await setup(
      { failMode: 'open' },
      broken(new TypeError("Cannot read properties of undefined (reading 'x')")),
    );
    const ran: number[] = [];
    await expect(
      governor.run({ action: llm, estimate: cost(1) }, async () => {
        ran.push(1);
        return { value: 1, actual: 1 };
      }),
    ).rejects.toBeInstanceOf(TypeError);
    expect(ran).toEqual([]);
  });

  it('connection refused, a timeout, a 5xx are transport failures; 4xx answers and bugs are not', () => {
    expect(isTransportFailure(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransportFailure(new Error('fetch failed', { cause: { code: 'UND_ERR_SOCKET' } }))).toBe(true);
    expect(isTransportFailure(new AuthorityTimeoutError('reserve', 10))).toBe(true);
    expect(isTransportFailure(new TransportError('redis down'))).toBe(true);
    expect(isTransportFailure(new InvalidRequestError('bad'))).toBe(false);
    expect(isTransportFailure(new RangeError('Maximum call stack size exceeded'))).toBe(false);
  });

  it('errors from another copy of @governor/core are recognised by their Symbol.for markers', () => {
    // What a second copy's BudgetDeniedError looks like from here: same markers, other classes.
    const foreign = Object.assign(new Error('denied'), { code: 'BUDGET_EXCEEDED', status: 409 });
    Object.defineProperty(foreign, Symbol.for('governor.error'), {
      value: ['BudgetDeniedError', 'GovernorError'],
    });
    expect(foreign instanceof BudgetDeniedError).toBe(false);
    expect(BudgetDeniedError.isInstance(foreign)).toBe(true);
    expect(InvalidRequestError.isInstance(foreign)).toBe(false);
    const timeout = Object.assign(new Error('slow'), {});
    Object.defineProperty(timeout, Symbol.for('governor.error'), {
      value: ['AuthorityTimeoutError', 'TransportError', 'GovernorError'],
    });
    expect(isTransportFailure(timeout)).toBe(true);
  });
});

describe('caps-aware reservation', () => {
  it('near the end of the budget the capped call is reserved instead of denying the full one', async () => {
    const { ledger, governor, events, settled } = await setup();
    await ledger.setDegradationPolicy({ tiers: [{ atPercent: 80, caps: { maxTokens: 100 } }] });
    await governor.run({ action: llm, estimate: cost(850) }, async () => ({ value: 1, actual: 850 })); // 85 % used
    const spec = {
      action: llm,
      estimate: cost(500),
      estimateUnderCaps: (caps: { maxTokens?: number }) => (caps.maxTokens ? cost(60) : undefined),
    };
    const grant = await governor.run(spec, async (g) => ({ value: g, actual: 55 }));
    expect(grant).toMatchObject({
      decision: 'ALLOW_WITH_CAPS',
      caps: { maxTokens: 100 },
      estimate: cost(60),
    });
    const denied = await governor
      .run({ ...spec, estimateUnderCaps: () => cost(400) }, async () => ({ value: 1, actual: 1 }))
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(BudgetDeniedError);
    expect(events.filter((e) => e.type === 'commit')).toHaveLength(2);
    await settled(905);
  });
});

describe('what the work reports, and what the caller passes', () => {
  it.each([1.5, -1, Number.NaN, 2 ** 53, '12', { unit: 'TOKENS', amount: 3 }, {}])(
    'an invalid actual (%s) commits the estimate — never zero — and says what was wrong',
    async (actual) => {
      const { governor, settled } = await setup();
      const error = await governor
        .run({ action: llm, estimate: cost(120) }, async () => ({ value: 'v', actual: actual as number }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidActualError);
      expect((error as InvalidActualError).value).toBe('v');
      await settled(120);
    },
  );

  it('a 256-character key: its commit and release keys still fit (hashed), so nothing is lost', async () => {
    const { governor, settled } = await setup();
    await governor.run({ action: llm, estimate: cost(50), idempotencyKey: 'k'.repeat(256) }, async () => ({
      value: 1,
      actual: 30,
    }));
    const released = await governor.begin({
      action: llm,
      estimate: cost(50),
      idempotencyKey: 'r'.repeat(250),
    });
    await released.release();
    await settled(30);
    await expect(
      governor.begin({ action: llm, estimate: cost(1), idempotencyKey: 'x'.repeat(257) }),
    ).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('a null spec or one without an action is a typed error naming the field', async () => {
    const { governor } = await setup();
    await expect(governor.run(null as never, async () => ({ value: 1, actual: 1 }))).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
    await expect(governor.begin({ estimate: cost(1) } as never)).rejects.toThrow(/spec\.action: is required/);
  });
});

describe('circuit breaker', () => {
  it('opens after N consecutive denied tool calls of one run, and a call that runs closes it', async () => {
    const { ledger, governor, events } = await setup({ circuitBreaker: { maxConsecutiveDenials: 2 } });
    await ledger.createBudget({ scope: RUN, unit: 'RISK_POINTS', allocated: 1 });
    const call = (name: string) =>
      governToolCall(
        { governor, riskPoints: { send: 1, look: 0 } },
        { name, args: {} },
        async () => 'done',
      ).catch((e: unknown) => e);
    expect(await call('send')).toBe('done');
    expect(await call('send')).toBeInstanceOf(BudgetDeniedError);
    expect(governor.breaker?.openFor(governor.subject)).toBeUndefined();
    expect(await call('send')).toBeInstanceOf(BudgetDeniedError);
    expect(governor.breaker?.openFor(governor.subject)).toBe(2);
    expect(events.filter((e) => e.type === 'circuit_open')).toHaveLength(1);
    expect(await call('look')).toBe('done');
    expect(governor.breaker?.openFor(governor.subject)).toBeUndefined();
  });
});
