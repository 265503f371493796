import { loadMcpTools } from '@langchain/mcp-adapters';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { governClient } from '../src/index.js';
import { connectEverything, RUN, setup } from './support.js';

let raw: Client | undefined;
afterEach(async () => {
  await raw?.close();
});

describe('under @langchain/mcp-adapters', () => {
  it('loadMcpTools takes the governed client unchanged: tools hidden by caps, the budget enforced', async () => {
    const { governor, settled } = await setup(2, {}, { toolDenylist: ['toggle-subscriber-updates'] });
    raw = (await connectEverything()).client;
    const tools = await loadMcpTools('everything', governClient(raw, { governor }));
    const names = tools.map((t) => t.name);
    expect(names).toContain('toggle-simulated-logging');
    expect(names).not.toContain('toggle-subscriber-updates');
    const toggle = tools.find((t) => t.name === 'toggle-simulated-logging');
    if (!toggle) throw new Error('tool not loaded');
    expect(String(await toggle.invoke({}))).toMatch(/^Started simulated/);
    expect(String(await toggle.invoke({}))).toMatch(/^Stopped simulated/);
    // LangChain turns an isError result into a ToolException carrying the model-readable text.
    await expect(toggle.invoke({})).rejects.toThrow(`the risk-point budget for ${RUN} is spent`);
    await settled(2);
  });
});
