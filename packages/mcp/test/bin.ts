import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './filesystem.js';

export const PKG = dirname(dirname(fileURLToPath(import.meta.url)));

/** `node [nodeFlags] src/bin.ts <args>` (the `governor-mcp-proxy` bin, from source) as a child process. */
export function binCommand(
  args: string[],
  nodeFlags: string[] = [],
): { command: string; args: string[]; cwd: string } {
  return {
    command: process.execPath,
    args: [
      ...nodeFlags,
      '--conditions=@governor/source',
      '--import',
      'tsx',
      join(PKG, 'src/bin.ts'),
      ...args,
    ],
    cwd: PKG,
  };
}

/** The `balances` lines the bin logged on stderr, parsed. */
export function balancesLogged(
  stderr: string,
): { scope: string; spent: { amount: number }; reserved: { amount: number } }[][] {
  const prefix = 'governor-mcp-proxy: balances ';
  return stderr
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => JSON.parse(line.slice(prefix.length)));
}

/** Start the bin with `--http`; resolves once it logs its URL. */
export async function startHttpBin(
  args: string[],
  nodeFlags: string[] = [],
): Promise<{ child: ChildProcess; url: URL; stderr: () => string }> {
  const { command, args: argv, cwd } = binCommand(args, nodeFlags);
  const child = spawn(command, argv, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise<URL>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /Streamable HTTP at (\S+)/.exec(stderr);
      if (match?.[1]) resolve(new URL(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`proxy exited (${code}): ${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

/** A budgets file (in its own temp dir) giving every run of acme/support `allocated` risk points. */
export async function writeBudgets(allocated: number, cleanup: (() => Promise<void>)[]): Promise<string> {
  const { dir, remove } = await tempDir();
  cleanup.push(remove);
  const budgets = join(dir, 'budgets.json');
  const template = { match: 'tenant:acme/workflow:support/run:*', unit: 'RISK_POINTS', allocated };
  await writeFile(budgets, JSON.stringify({ templates: [template] }));
  return budgets;
}

/** Run the bin to its end: exit code, stdout and stderr (optionally writing `input` to its stdin). */
export function runBin(
  args: string[],
  input?: string | Buffer,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { command, args: argv, cwd } = binCommand(args);
  const child = spawn(command, argv, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdin?.on('error', () => undefined);
  if (input !== undefined) child.stdin?.write(input);
  else child.stdin?.end();
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}
