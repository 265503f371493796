import { mkdtemp, readdir, realpath, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const require = createRequire(import.meta.url);
const FILESYSTEM_BIN = join(
  dirname(require.resolve('@modelcontextprotocol/server-filesystem/package.json')),
  'dist/index.js',
);

/** `node <server-filesystem> <dir>`: the registry's filesystem server, confined to `dir`. */
export const filesystemServer = (dir: string) => ({ command: process.execPath, args: [FILESYSTEM_BIN, dir] });

/** A fresh temp dir (real path: the server compares resolved paths) and a way to remove it. */
export async function tempDir(): Promise<{
  dir: string;
  files: () => Promise<string[]>;
  remove: () => Promise<void>;
}> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'governor-mcp-fs-')));
  return {
    dir,
    files: async () => (await readdir(dir)).sort(),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A real SDK client connected to a fresh server-filesystem process on `dir`. */
export async function connectFilesystem(dir: string): Promise<Client> {
  const transport = new StdioClientTransport({ ...filesystemServer(dir), stderr: 'ignore' });
  const client = new Client({ name: 'governor-test', version: '0.0.0' });
  await client.connect(transport);
  return client;
}
