import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createGovernor, MemoryAuthority } from '@governor/core';
import { governClient } from '@governor/mcp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const RUN = 'tenant:acme/workflow:support/run:r1';
const require = createRequire(import.meta.url);
const everything = join(
  dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')),
  'dist/index.js',
);

/**
 * A scripted "agent" stuck in a loop on a write tool of a real MCP server
 * (server-everything over stdio). The run has 3 RISK_POINTS; the tool is
 * annotated as an additive, closed-world write, worth 1 point: the fourth
 * call is denied before it reaches the server, with a result the model reads.
 */
export async function runAgent(print: (line: string) => void = console.log) {
  const ledger = new MemoryAuthority();
  await ledger.createBudget({ scope: RUN, unit: 'RISK_POINTS', allocated: 3 });
  const governor = createGovernor({
    authority: ledger,
    subject: { tenant: 'acme', workflow: 'support', run: 'r1' },
  });
  const raw = new Client({ name: 'example-agent', version: '0.0.0' });
  await raw.connect(
    new StdioClientTransport({ command: process.execPath, args: [everything, 'stdio'], stderr: 'ignore' }),
  );
  const client = governClient(raw, { governor });
  const results: { isError: boolean; text: string }[] = [];
  try {
    for (let attempt = 1; attempt <= 6; attempt++) {
      const result = await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
      const text = (result.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join(' ');
      results.push({ isError: result.isError === true, text });
      print(`call ${attempt}: ${result.isError ? 'DENIED' : 'ran'} — ${text.slice(0, 100)}`);
      if (result.isError) break; // a model reading "Do not call it again" stops here
    }
    const budget = await ledger.getBudget({ scope: RUN, unit: 'RISK_POINTS' });
    print(
      `run ${RUN}: spent ${budget?.spent} of ${budget?.allocated} RISK_POINTS, reserved ${budget?.reserved}`,
    );
  } finally {
    await raw.close();
  }
  return { ledger, results };
}
