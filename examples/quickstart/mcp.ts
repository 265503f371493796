import { createGovernor, MemoryAuthority } from '@governor/core';
import { governClient } from '@governor/mcp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const ledger = new MemoryAuthority(); // run r1 of tenant acme may spend 2 RISK_POINTS
await ledger.createBudget({ scope: 'tenant:acme/run:r1', unit: 'RISK_POINTS', allocated: 2 });
const governor = createGovernor({ authority: ledger, subject: { tenant: 'acme', run: 'r1' } });

const raw = new Client({ name: 'my-agent', version: '1.0.0' });
await raw.connect(
  new StdioClientTransport({ command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything'] }),
);
const client = governClient(raw, { governor, riskPoints: { echo: 1 } }); // a DENY is an isError result
for (const n of [1, 2, 3]) {
  const result = await client.callTool({ name: 'echo', arguments: { message: `call ${n}` } });
  console.log(result.isError ? 'DENIED:' : 'ran:', JSON.stringify(result.content));
}
await raw.close();
