import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { balancesLogged, binCommand, writeBudgets } from './bin.js';
import { runScope, servedFilesystem, WRITE_POINTS } from './served.js';
import { textOf } from './support.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const N = 2;

describe('governor-mcp-proxy --url (an upstream over Streamable HTTP)', () => {
  it('governs calls to an HTTP upstream: N writes pass with real results, the next is denied; then the upstream goes away', async () => {
    // The upstream: our own proxy over Streamable HTTP (generous budget) in front of server-filesystem.
    const inner = await servedFilesystem(100 * WRITE_POINTS, cleanup);
    const budgets = await writeBudgets(N * WRITE_POINTS, cleanup);
    const transport = new StdioClientTransport({
      ...binCommand([
        ...['--tenant', 'acme', '--workflow', 'support', '--run', 'outer', '--budgets', budgets],
        ...['--url', inner.server.url.href],
      ]),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: 'host', version: '0.0.0' });
    await client.connect(transport);
    cleanup.push(() => client.close());
    const write = (i: number) =>
      client.callTool({
        name: 'write_file',
        arguments: { path: join(inner.dir, `f${i}.txt`), content: `${i}` },
      });

    expect((await client.listTools()).tools.map((t) => t.name)).toContain('write_file');
    for (let i = 0; i < N; i++) {
      expect(textOf(await write(i))).toBe(`Successfully wrote to ${join(inner.dir, `f${i}.txt`)}`);
    }
    const denied = await write(N);
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toMatch(`the risk-point budget for ${runScope('outer')} is spent`);
    expect(await inner.files()).toEqual(['f0.txt', 'f1.txt']);
    // The upstream saw exactly the N calls that were let through, on its own session's run.
    const [session] = inner.server.sessions();
    await inner.settled(N * WRITE_POINTS, 'RISK_POINTS', runScope(`mcp-${session}`));

    // The upstream going away is a clear MCP error (a read-only call: the budget is spent); the proxy keeps answering.
    await inner.server.close();
    const read = client.callTool({ name: 'read_text_file', arguments: { path: join(inner.dir, 'f0.txt') } });
    await expect(read).rejects.toMatchObject({ message: expect.stringContaining('upstream MCP server') });
    await expect(client.ping()).rejects.toMatchObject({
      message: expect.stringContaining('upstream MCP server'),
    });

    await client.close();
    await expect.poll(() => balancesLogged(stderr).length).toBe(1);
    expect(balancesLogged(stderr)[0]).toEqual([
      expect.objectContaining({
        scope: runScope('outer'),
        spent: { unit: 'RISK_POINTS', amount: N * WRITE_POINTS },
        reserved: { unit: 'RISK_POINTS', amount: 0 },
      }),
    ]);
  });
});
