import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterEach, describe, expect, it } from 'vitest';
import { annotationPointsFor, createGovernorProxy, governClient } from '../src/index.js';
import { connectFilesystem, tempDir } from './filesystem.js';
import { RUN, setup, textOf } from './support.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A temp dir and server-filesystem confined to it, both gone after the test. */
async function filesystem() {
  const temp = await tempDir();
  cleanup.push(temp.remove);
  const client = await connectFilesystem(temp.dir);
  cleanup.push(() => client.close());
  return { ...temp, client };
}

// Destructive, closed world: 10 risk points each by default (no open-world point).
const POINTS = 10;
const N = 3;

describe('destructive tools of server-filesystem', () => {
  it('write_file and move_file are annotated destructive (closed world): 10 points each', async () => {
    const { client } = await filesystem();
    const tools = new Map((await client.listTools()).tools.map((t) => [t.name, t.annotations]));
    for (const name of ['write_file', 'move_file']) {
      expect(tools.get(name)).toMatchObject({
        readOnlyHint: false,
        destructiveHint: true,
        openWorldHint: false,
      });
      expect(annotationPointsFor(tools.get(name))).toBe(POINTS);
    }
    expect(tools.get('read_text_file')).toMatchObject({ readOnlyHint: true });
  });

  it(`the wrapper lets ${N} write_file calls through and denies the next; exactly ${N} files written`, async () => {
    const { dir, files, client: raw } = await filesystem();
    const { governor, settled } = await setup(N * POINTS);
    const client = governClient(raw, { governor });
    const write = (i: number) =>
      client.callTool({ name: 'write_file', arguments: { path: join(dir, `f${i}.txt`), content: `v${i}` } });
    for (let i = 0; i < N; i++) {
      expect(textOf(await write(i))).toBe(`Successfully wrote to ${join(dir, `f${i}.txt`)}`);
    }
    const denied = await write(N);
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toBe(
      `not executed: write_file was denied — the risk-point budget for ${RUN} is spent. Do not call it again.`,
    );
    expect(await files()).toEqual(['f0.txt', 'f1.txt', 'f2.txt']);
    expect(await readFile(join(dir, 'f2.txt'), 'utf8')).toBe('v2');
    // Read-only tools still run (0 points).
    const read = await client.callTool({ name: 'read_text_file', arguments: { path: join(dir, 'f0.txt') } });
    expect(textOf(read)).toBe('v0');
    await settled(N * POINTS);
  });

  it(`through the proxy: ${N} move_file calls pass, the next is denied; exactly ${N} files moved`, async () => {
    const { dir, files, client: upstream } = await filesystem();
    for (let i = 0; i <= N; i++) await writeFile(join(dir, `src${i}.txt`), `s${i}`);
    const { governor, settled } = await setup(N * POINTS);
    const proxy = createGovernorProxy({ upstream, governor, runId: 'r1' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await proxy.connect(serverSide);
    const client = new Client({ name: 'host', version: '0.0.0' });
    await client.connect(clientSide);
    cleanup.push(() => client.close());
    const move = (i: number) =>
      client.callTool({
        name: 'move_file',
        arguments: { source: join(dir, `src${i}.txt`), destination: join(dir, `dst${i}.txt`) },
      });
    for (let i = 0; i < N; i++) {
      expect(textOf(await move(i))).toBe(
        `Successfully moved ${join(dir, `src${i}.txt`)} to ${join(dir, `dst${i}.txt`)}`,
      );
    }
    const denied = await move(N);
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toMatch(`the risk-point budget for ${RUN} is spent`);
    expect(await files()).toEqual(['dst0.txt', 'dst1.txt', 'dst2.txt', 'src3.txt']);
    await settled(N * POINTS);
  });
});
