import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type BudgetInfo, MemoryAuthority } from '@governor/core';
import { describe, expect, it } from 'vitest';
import { budgetTable } from '../src/format.js';
import { bufferIo, main } from '../src/index.js';
import { wantsColor } from '../src/io.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '../src/bin.ts');
const trace = join(here, 'fixtures/trace-imports.mjs');

async function cli(...argv: string[]) {
  const io = bufferIo();
  const code = await main(argv, io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

/** The packages `governor <argv>` imports, from a child process. */
async function importsOf(...argv: string[]): Promise<string[]> {
  const { stderr } = await run(
    process.execPath,
    ['--conditions=@governor/source', '--import', 'tsx', '--import', trace, bin, ...argv],
    { env: { ...process.env, NO_COLOR: '1' } },
  ).catch((e: { stderr: string }) => e);
  return [...new Set(stderr.split('\n').flatMap((l) => (l.startsWith('import: ') ? [l.slice(8)] : [])))];
}

const HEAVY =
  /^(@governor\/(core|redis|sqlite|mcp|langchain|ai-sdk)|ioredis|langchain|@langchain\/|@modelcontextprotocol\/|ai$|zod)/;

describe('governor loads what a command needs, no more', () => {
  it('--help, and every command --help, import no Governor package, framework, SDK or Redis client', async () => {
    for (const argv of [['--help'], ['demo', '--help'], ['balances', '--help'], ['budgets', '--help']]) {
      expect(
        (await importsOf(...argv)).filter((p) => HEAVY.test(p)),
        argv.join(' '),
      ).toEqual([]);
    }
  });

  it('the default demo loads neither LangChain nor MCP; balances of a file loads no ledger driver', async () => {
    const demo = await importsOf('demo', '--emails', '3', '--json');
    expect(demo).toContain('ai');
    expect(demo.filter((p) => /langchain|modelcontextprotocol|ioredis|sqlite/.test(p))).toEqual([]);
    const dir = await mkdtemp(join(tmpdir(), 'governor-cli-imports-'));
    const file = join(dir, 'b.json');
    await writeFile(file, JSON.stringify({ budgets: [{ scope: 'tenant:a', unit: 'TOKENS', allocated: 5 }] }));
    const balances = await importsOf('balances', file);
    expect(balances.filter((p) => /ioredis|sqlite|langchain|modelcontextprotocol|^ai$/.test(p))).toEqual([]);
  });
});

describe('budgets apply is idempotent on a ledger file', () => {
  it('the same file twice: the same budgets (spent ones not re-funded), templates not duplicated', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'governor-cli-apply-'));
    const ledger = join(dir, 'governor.db');
    const policy = join(dir, 'governor.yaml');
    await writeFile(
      policy,
      [
        'budgets:',
        '  - { scope: "tenant:acme", unit: USD_MICROCENTS, allocated: "$50" }',
        '  - { scope: "tenant:acme", unit: RISK_POINTS, allocated: 10 }',
        'templates:',
        '  - { match: "tenant:*/workflow:support/run:*", unit: RISK_POINTS, allocated: 200 }',
        'degradation: { tiers: [{ atPercent: 80, caps: { maxTokens: 256 } }] }',
      ].join('\n'),
    );
    const first = await cli('budgets', 'apply', policy, '--ledger', ledger);
    expect(first.code).toBe(0);
    expect(first.out).toContain('budgets: 2 created');
    expect(first.out).toContain('templates: 1 added');
    await cli(
      'budgets',
      'create',
      '--ledger',
      ledger,
      '--scope',
      'tenant:other',
      '--unit',
      'TOKENS',
      '--allocated',
      '1',
    );
    const { SqliteAuthority } = await import('@governor/sqlite');
    const db = new SqliteAuthority({ path: ledger });
    await db.debit({ scope: 'tenant:acme', unit: 'RISK_POINTS', amount: 4 });
    const before = { budgets: await db.listBudgets(), templates: await db.listTemplates() };
    await db.close();

    const second = await cli('budgets', 'apply', policy, '--ledger', ledger);
    expect(second.code).toBe(0);
    expect(second.out).toContain('budgets: 0 created, 2 already there (left as they are, not re-funded)');
    expect(second.out).toContain('templates: 0 added, 1 already there');
    expect(second.out).toContain('degradation tiers: unchanged');
    expect(second.out).toContain(
      'note: tenant:acme RISK_POINTS is allocated 6 on the ledger, 10 in the file',
    );
    const again = new SqliteAuthority({ path: ledger });
    expect({ budgets: await again.listBudgets(), templates: await again.listTemplates() }).toEqual(before);
    await again.close();
  });

  it('a dollar amount on a RISK_POINTS budget is refused, naming the file, field and value', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'governor-cli-apply-'));
    const policy = join(dir, 'bad.yaml');
    await writeFile(policy, 'budgets:\n  - { scope: "tenant:acme", unit: RISK_POINTS, allocated: "$2" }\n');
    const { code, err } = await cli('budgets', 'apply', policy, '--ledger', join(dir, 'l.db'));
    expect(code).toBe(2);
    expect(err).toContain(
      `${policy}: budgets[0].allocated: "$2" is a dollar amount, but RISK_POINTS are not dollars`,
    );
    const listed = await cli('balances', policy);
    expect(listed.code).toBe(2);
  });
});

describe('colour', () => {
  it('only on a terminal, and never with NO_COLOR', () => {
    expect(wantsColor({ isTTY: true }, {})).toBe(true);
    expect(wantsColor({ isTTY: false }, {})).toBe(false);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
  });

  it('tints spent-out and capped rows, and nothing without colour', async () => {
    const ledger = new MemoryAuthority();
    await ledger.createBudget({ scope: 'tenant:a', unit: 'TOKENS', allocated: 0 });
    await ledger.createBudget({ scope: 'tenant:b', unit: 'TOKENS', allocated: 5, caps: { maxTokens: 1 } });
    await ledger.createBudget({ scope: 'tenant:c', unit: 'TOKENS', allocated: 5 });
    const budgets: BudgetInfo[] = await ledger.listBudgets();
    const [, , a, b, c] = budgetTable(budgets, true);
    const ESC = '\u001b';
    expect(a?.startsWith(`${ESC}[31mtenant:a `) && a.endsWith(`${ESC}[0m`)).toBe(true);
    expect(b?.startsWith(`${ESC}[33mtenant:b `)).toBe(true);
    expect(c).toMatch(/^tenant:c /);
    expect(budgetTable(budgets, false).join('\n')).not.toContain('\x1b');
    const demo = await cli('demo', '--emails', '3');
    expect(demo.out).not.toContain('\x1b');
  });
});
