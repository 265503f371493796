import type {
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
} from '@ai-sdk/provider';
import {
  createGovernor,
  createPricing,
  estimateTokens,
  type GovernorEvent,
  type GovernorOptions,
  ManualClock,
  MemoryAuthority,
  type TokenUsage,
  type Unit,
} from '@governor/core';
import { assertLedgerInvariant } from '@governor/core/testing';
import { expect } from 'vitest';

export const TENANT = 'tenant:acme';
export const RUN = 'tenant:acme/workflow:support/run:r1';
export const MODEL = { provider: 'openai.chat', modelId: 'gpt-4o-mini' };
export const CHEAP = { provider: 'openai.chat', modelId: 'gpt-4.1-nano' };
export const pricing = createPricing();

export interface Budgets {
  usd?: number;
  riskPoints?: number;
}

/** A MemoryAuthority with a tenant budget and run budgets, and a governor acting as run r1. */
export async function setup(budgets: Budgets = {}, options: Partial<GovernorOptions> = {}) {
  const clock = new ManualClock();
  const ledger = new MemoryAuthority({ clock });
  await ledger.createBudget({ scope: TENANT, unit: 'USD_MICROCENTS', allocated: 100_000_000 });
  await ledger.createBudget({ scope: RUN, unit: 'USD_MICROCENTS', allocated: budgets.usd ?? 10_000_000 });
  if (budgets.riskPoints !== undefined)
    await ledger.createBudget({ scope: RUN, unit: 'RISK_POINTS', allocated: budgets.riskPoints });
  const events: GovernorEvent[] = [];
  const governor = createGovernor({
    authority: ledger,
    admin: ledger,
    subject: { tenant: 'acme', workflow: 'support', run: 'r1' },
    clock,
    on: (event) => events.push(event),
    ...options,
  });
  const budget = async (unit: Unit = 'USD_MICROCENTS', scope = RUN) => {
    const info = await ledger.getBudget({ scope, unit });
    if (!info) throw new Error(`no ${unit} budget at ${scope}`);
    return info;
  };
  /** The ledger invariant holds, nothing is reserved, and `spent` is exactly `expected` per unit. */
  const settled = async (expected: Partial<Record<Unit, number>>) => {
    await assertLedgerInvariant(ledger);
    expect((await ledger.listReservations({ status: 'ACTIVE' })).reservations).toEqual([]);
    for (const [unit, spent] of Object.entries(expected)) {
      expect(await budget(unit as Unit)).toMatchObject({ spent, reserved: 0 });
    }
  };
  return { clock, ledger, governor, events, budget, settled };
}

export const usage = (input: number, output: number, cached = 0, reasoning = 0): LanguageModelV4Usage => ({
  inputTokens: { total: input, noCache: input - cached, cacheRead: cached, cacheWrite: undefined },
  outputTokens: { total: output, text: output - reasoning, reasoning },
});

/** What `usage(...)` costs for `model`, as Governor prices it. */
export const costOf = (
  model: { provider: string; modelId: string },
  input: number,
  output: number,
  cached = 0,
  reasoning = 0,
) => {
  const tokens: TokenUsage = { inputTokens: input, outputTokens: output, cachedInputTokens: cached };
  if (reasoning) tokens.reasoningTokens = reasoning;
  return pricing.cost(model, tokens);
};

export const textResult = (text: string, u: LanguageModelV4Usage): LanguageModelV4GenerateResult => ({
  content: [{ type: 'text', text }],
  finishReason: { unified: 'stop', raw: 'stop' },
  usage: u,
  warnings: [],
});

export const toolCallResult = (
  toolName: string,
  input: unknown,
  u: LanguageModelV4Usage,
  id = `call-${Math.random().toString(36).slice(2)}`,
): LanguageModelV4GenerateResult => ({
  content: [{ type: 'tool-call', toolCallId: id, toolName, input: JSON.stringify(input) }],
  finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
  usage: u,
  warnings: [],
});

export const textParts = (text: string, u?: LanguageModelV4Usage): LanguageModelV4StreamPart[] => [
  { type: 'stream-start', warnings: [] },
  { type: 'text-start', id: 't1' },
  ...text.split(' ').map((delta): LanguageModelV4StreamPart => ({ type: 'text-delta', id: 't1', delta })),
  { type: 'text-end', id: 't1' },
  ...(u ? [{ type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: u } as const] : []),
];

/** A stream that sends `parts`, then stays open until cancelled. */
export function hangingStream(parts: LanguageModelV4StreamPart[]) {
  let cancelled = false;
  const stream = new ReadableStream<LanguageModelV4StreamPart>({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

/** The prompt `'x'` as streamText/generateText hand it to the model, as Governor counts it. */
export const PROMPT_X_TOKENS = estimateTokens([{ role: 'user', content: [{ type: 'text', text: 'x' }] }]);
export const PROMPT_X_COST = costOf(MODEL, PROMPT_X_TOKENS, 0);

/**
 * The `abandoned` event's delivered amount, checked to lie between the prompt
 * plus `least` streamed and the prompt plus `most` streamed (the SDK may pull
 * ahead of its consumer); returns it.
 */
export function deliveredWithin(events: GovernorEvent[], least: string, most: string): number {
  const abandoned = events.find((e) => e.type === 'abandoned');
  const delivered = abandoned?.type === 'abandoned' ? abandoned.delivered?.amount : undefined;
  const tokens = (text: string) => text.split(' ').reduce((n, word) => n + estimateTokens(word), 0);
  expect(delivered).toBeGreaterThanOrEqual(costOf(MODEL, PROMPT_X_TOKENS, tokens(least)));
  expect(delivered).toBeLessThanOrEqual(costOf(MODEL, PROMPT_X_TOKENS, tokens(most)));
  return delivered as number;
}
