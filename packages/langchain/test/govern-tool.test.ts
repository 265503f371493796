import { BudgetDeniedError } from '@governor/core';
import { ToolMessage } from '@langchain/core/messages';
import { StructuredTool, tool } from '@langchain/core/tools';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { governTool } from '../src/index.js';
import { RUN, setup } from './support.js';

function refundTool() {
  const refunded: number[] = [];
  const refund = tool(
    async ({ amount }) => {
      if (amount > 1_000) throw new Error('refund rejected by the payment provider');
      refunded.push(amount);
      return `refunded ${amount}`;
    },
    { name: 'refund', description: 'Refund', schema: z.object({ amount: z.number() }) },
  );
  return { refunded, refund };
}

const points = (args: unknown) => ((args as { amount: number }).amount > 500 ? 25 : 5);

describe('governTool', () => {
  it('reserves per call (points from the arguments), commits; a tool that started and threw is still charged', async () => {
    const { governor, events, settled } = await setup({ riskPoints: 100 });
    const { refunded, refund } = refundTool();
    const guarded = governTool(refund, { governor, riskPoints: points });
    expect(guarded).toBeInstanceOf(StructuredTool);
    expect(guarded.name).toBe('refund');
    expect(await guarded.invoke({ amount: 100 })).toBe('refunded 100');
    expect(await guarded.invoke({ amount: 800 })).toBe('refunded 800');
    await expect(guarded.invoke({ amount: 5_000 })).rejects.toThrow('refund rejected');
    expect(refunded).toEqual([100, 800]);
    expect(events.filter((e) => e.type === 'release')).toHaveLength(0);
    await settled({ RISK_POINTS: 55 });
  });

  it('a denied call does not run: a message, a ToolMessage for a tool call, or the typed error', async () => {
    const { governor, settled } = await setup({ riskPoints: 25 });
    const { refunded, refund } = refundTool();
    const guarded = governTool(refund, { governor, riskPoints: points });
    expect(await guarded.invoke({ amount: 600 })).toBe('refunded 600');
    const denied = `not executed: refund was denied — the risk-point budget for ${RUN} is spent. Do not call it again.`;
    expect(await guarded.invoke({ amount: 10 })).toBe(denied);
    const message = await guarded.invoke({
      type: 'tool_call',
      id: 'c9',
      name: 'refund',
      args: { amount: 10 },
    });
    expect(message).toBeInstanceOf(ToolMessage);
    expect(message).toMatchObject({ content: denied, tool_call_id: 'c9', status: 'error' });
    const throwing = governTool(refund, { governor, riskPoints: points, onDeny: 'throw' });
    await expect(throwing.invoke({ amount: 10 })).rejects.toBeInstanceOf(BudgetDeniedError);
    expect(refunded).toEqual([600]);
    await settled({ RISK_POINTS: 25 });
  });

  it('a tool the caps deny does not run, even with points left', async () => {
    const { governor, ledger, settled } = await setup({ riskPoints: 10 });
    await ledger.setDegradationPolicy({ tiers: [{ atPercent: 50, caps: { toolDenylist: ['refund'] } }] });
    const { refunded, refund } = refundTool();
    const guarded = governTool(refund, {
      governor,
      riskPoints: (a) => ((a as { amount: number }).amount > 500 ? 6 : 1),
    });
    expect(await guarded.invoke({ amount: 600 })).toBe('refunded 600');
    expect(await guarded.invoke({ amount: 1 })).toBe(
      'not executed: refund is not allowed any more in this run (budget caps). Do not call it again.',
    );
    expect(refunded).toEqual([600]);
    await settled({ RISK_POINTS: 6 });
  });

  it('without risk points the tool runs unguarded', async () => {
    const { governor, events } = await setup();
    const guarded = governTool(refundTool().refund, { governor });
    expect(await guarded.invoke({ amount: 1 })).toBe('refunded 1');
    expect(events).toEqual([]);
  });
});
