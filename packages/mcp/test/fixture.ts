import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** `node test/fixtures/server.mjs`: the project's own small MCP server (slow, progress, sampling, env, crash…). */
export const FIXTURE = { command: process.execPath, args: [join(HERE, 'fixtures/server.mjs')] };

/** A temp file the fixture appends its events to (FIXTURE_LOG), and a reader for them. */
export async function fixtureLog(cleanup: (() => Promise<void>)[]) {
  const dir = await mkdtemp(join(tmpdir(), 'governor-fixture-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'events.jsonl');
  const events = async (): Promise<{ pid: number; event: string; tool: string }[]> => {
    const text = await readFile(path, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  };
  return { path, env: { FIXTURE_LOG: path }, events };
}

/** A real SDK client on a fresh fixture process. */
export async function connectFixture(
  env: Record<string, string>,
  capabilities: ClientCapabilities = {},
): Promise<{ client: Client; transport: StdioClientTransport }> {
  const transport = new StdioClientTransport({
    ...FIXTURE,
    env: { ...process.env, ...env } as never,
    stderr: 'ignore',
  });
  const client = new Client({ name: 'governor-test', version: '0.0.0' }, { capabilities });
  await client.connect(transport);
  return { client, transport };
}
