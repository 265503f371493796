import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAuthority } from '@governor/sqlite';
import { describe, expect, it } from 'vitest';
import { bufferIo, main, runDemo } from '../src/index.js';

async function cli(...argv: string[]) {
  const io = bufferIo();
  const code = await main(argv, io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

const scope = 'tenant:cli-test/workflow:support';

describe('governor budgets and balances on a SQLite ledger file (--ledger)', () => {
  it('create makes the file; fund, freeze and apply change it; balances reads it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'governor-cli-ledger-'));
    const ledger = join(dir, 'governor.db');
    const created = await cli(
      'budgets',
      'create',
      '--ledger',
      ledger,
      '--scope',
      scope,
      '--unit',
      'USD_MICROCENTS',
      '--allocated',
      '$2.50',
    );
    expect(created.code).toBe(0);
    expect(
      (
        await cli(
          'budgets',
          'fund',
          '--ledger',
          ledger,
          '--scope',
          scope,
          '--unit',
          'USD_MICROCENTS',
          '--amount',
          '$0.50',
        )
      ).out,
    ).toMatch(/USD_MICROCENTS\s+\$3\.00\s+\$0\.00\s+\$0\.00\s+\$3\.00\s+ACTIVE/);
    expect(
      (await cli('budgets', 'freeze', '--ledger', ledger, '--scope', scope, '--unit', 'USD_MICROCENTS')).out,
    ).toMatch(/FROZEN/);

    const file = join(dir, 'budgets.yaml');
    await writeFile(
      file,
      [
        'budgets:',
        '  - { scope: "tenant:cli-test", unit: RISK_POINTS, allocated: 500 }',
        'templates:',
        '  - { match: "tenant:*/workflow:support/run:*", unit: RISK_POINTS, allocated: 200 }',
      ].join('\n'),
    );
    expect((await cli('budgets', 'apply', file, '--ledger', ledger)).code).toBe(0);

    const listed = await cli('balances', '--ledger', ledger, '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out)).toEqual({
      budgets: [
        expect.objectContaining({ scope: 'tenant:cli-test', unit: 'RISK_POINTS', allocated: 500 }),
        expect.objectContaining({ scope, status: 'FROZEN', allocated: 300_000_000 }),
      ],
      templates: [{ match: 'tenant:*/workflow:support/run:*', unit: 'RISK_POINTS', allocated: 200 }],
    });
    // What the CLI wrote is the ledger any SqliteAuthority on the file sees.
    const authority = new SqliteAuthority({ path: ledger });
    const reserve = await authority.reserve({
      idempotencyKey: 'k1',
      subject: { tenant: 'cli-test', workflow: 'support' },
      action: { kind: 'tool.call', name: 'x' },
      estimate: { unit: 'USD_MICROCENTS', amount: 1 },
    });
    expect(reserve).toMatchObject({ decision: 'DENY', reasonCode: 'BUDGET_FROZEN' });
    await authority.close();
  });

  it('a missing file is an error for reads and changes to existing budgets, not a new empty ledger', async () => {
    const missing = join(await mkdtemp(join(tmpdir(), 'governor-cli-ledger-')), 'none.db');
    const read = await cli('balances', '--ledger', missing);
    expect(read.code).toBe(1);
    expect(read.err).toMatch(/no ledger file at .*none\.db/);
    expect(
      (
        await cli(
          'budgets',
          'fund',
          '--ledger',
          missing,
          '--scope',
          scope,
          '--unit',
          'CREDITS',
          '--amount',
          '1',
        )
      ).code,
    ).toBe(1);
  });

  it.each([
    [['balances', '--ledger', 'a.db', '--redis', 'redis://x'], /one of them/],
    [['balances', '--ledger', 'a.db', '--prefix', 'p'], /--prefix needs --redis/],
    [
      [
        'budgets',
        'freeze',
        '--ledger',
        'a.db',
        '--redis',
        'redis://x',
        '--scope',
        'tenant:a',
        '--unit',
        'CREDITS',
      ],
      /not both/,
    ],
    [['demo', '--ledger', 'a.db', '--redis', 'redis://x'], /not both/],
  ])('%j is a usage error', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('--help names --ledger', async () => {
    for (const command of ['balances', 'budgets', 'demo']) {
      expect((await cli(command, '--help')).out).toMatch(/--ledger <file>/);
    }
  });
});

describe('governor demo --ledger', () => {
  it('gives the same outcomes and figures as the embedded ledger, and leaves them in the file', async () => {
    const ledger = join(await mkdtemp(join(tmpdir(), 'governor-cli-demo-')), 'demo.db');
    const memory = await runDemo({ emails: 120, riskPoints: 60 }, bufferIo());
    const sqlite = await runDemo({ emails: 120, riskPoints: 60, ledger }, bufferIo());
    expect(sqlite.authority).toBe('sqlite');
    expect(sqlite.governed.outcomes).toEqual(memory.governed.outcomes);
    expect(sqlite.governed.ledger).toEqual(memory.governed.ledger);
    const balances = await cli('balances', '--ledger', ledger, '--json');
    expect(JSON.parse(balances.out).budgets).toEqual(memory.governed.ledger);
    const again = await cli('demo', '--ledger', ledger, '--emails', '10');
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/demo\.db exists; the demo provisions a new ledger file/);
  });
});
