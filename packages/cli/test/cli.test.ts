import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIo, main } from '../src/index.js';

async function run(argv: string[]) {
  const io = bufferIo();
  const code = await main(argv, io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

describe('governor CLI usage', () => {
  it.each([
    [['demo', '--bogus'], /demo: Unknown option '--bogus'/],
    [['demo', '--emails', 'many'], /--emails: expected a whole number ≥ 1, got "many"/],
    [['demo', '--emails', '0'], /--emails: expected a whole number ≥ 1/],
    [['demo', '--budget', 'lots'], /--budget: expected a dollar amount/],
    [['demo', '--cap-at', '150'], /--cap-at: expected a percent from 1 to 100/],
    [['demo', '--redis', 'localhost'], /--redis: "localhost" is not a Redis URL; expected redis:\/\/host/],
    [['balances', '--redis', 'notaurl'], /--redis: "notaurl" is not a Redis URL; expected redis:\/\/host/],
    [
      ['budgets', 'freeze', '--redis', 'http://x', '--scope', 'tenant:a', '--unit', 'TOKENS'],
      /"http:\/\/x" is not a Redis URL/,
    ],
    [['demo', '--emails'], /--emails/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['balances'], /give either a budgets file or --redis <url>/],
    [['balances', '/no/such/file.yaml'], /cannot read the file/],
    [['balances', 'budgets.txt'], /expected a \.json, \.yaml or \.yml file/],
    [['budgets'], /an action is required/],
    [['budgets', 'explode', '--redis', 'redis://x'], /unknown action "explode"/],
    [['budgets', 'create', '--scope', 'tenant:a'], /--redis <url> is required/],
    [
      ['budgets', 'create', '--redis', 'redis://x', '--scope', 'acme', '--unit', 'RISK_POINTS'],
      /--scope: .*must be <level>:<value>/,
    ],
    [
      ['budgets', 'fund', '--redis', 'redis://x', '--scope', 'tenant:a', '--unit', 'EUR'],
      /--unit: expected one of/,
    ],
    [
      [
        'budgets',
        'fund',
        '--redis',
        'redis://x',
        '--scope',
        'tenant:a',
        '--unit',
        'RISK_POINTS',
        '--amount',
        '$2',
      ],
      /--amount: "\$2" is a dollar amount, but RISK_POINTS are not dollars \(dollars only for USD_MICROCENTS\)/,
    ],
    [
      [
        'budgets',
        'create',
        '--redis',
        'redis://x',
        '--scope',
        'tenant:a',
        '--unit',
        'TOKENS',
        '--allocated',
        '1.5',
      ],
      /--allocated: "1\.5" is not an amount: expected a whole number of TOKENS from 0 to 9007199254740991/,
    ],
  ])('%j → exit 2 with a message', async (argv, message) => {
    const { code, err, out } = await run(argv);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(out).toBe('');
  });

  it('no command prints the usage to stderr, exit 2; --help prints it to stdout, exit 0', async () => {
    expect(await run([])).toMatchObject({
      code: 2,
      err: expect.stringContaining('Usage: governor <command>'),
    });
    expect(await run(['--help'])).toMatchObject({ code: 0, out: expect.stringContaining('Commands:') });
  });

  it.each(['demo', 'balances', 'budgets', 'approvals', 'mcp-proxy'])('%s --help', async (command) => {
    const { code, out } = await run([command, '--help']);
    expect(code).toBe(0);
    expect(out).toContain(`Usage: governor ${command}`);
  });

  it('mcp-proxy: unknown flags or no upstream are usage errors (exit 2)', async () => {
    const bogus = await run(['mcp-proxy', '--upstream', 'x']);
    expect(bogus.code).toBe(2);
    expect(bogus.err).toMatch(/governor mcp-proxy: .*--upstream/);
    const none = await run(['mcp-proxy', '--tenant', 'acme']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/no upstream MCP server given/);
  });

  it('an invalid budgets file is a usage error naming the file and the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'governor-cli-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'budgets:\n  - { scope: "tenant:acme", unit: EUROS, allocated: 5 }\n');
    const { code, err } = await run(['balances', file]);
    expect(code).toBe(2);
    expect(err).toContain(file);
    expect(err).toMatch(/unit/);
  });

  it('an unreachable Redis is a runtime failure: exit 1', async () => {
    const { code, err } = await run(['balances', '--redis', 'redis://127.0.0.1:1']);
    expect(code).toBe(1);
    expect(err).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  });

  it('balances of a budgets file: the budgets it provisions and its templates', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'governor-cli-'));
    const file = join(dir, 'governor.yaml');
    await writeFile(
      file,
      [
        'budgets:',
        '  - { scope: "tenant:acme", unit: USD_MICROCENTS, allocated: "$50" }',
        '  - { scope: "tenant:acme/workflow:support", unit: RISK_POINTS, allocated: 1000 }',
        'templates:',
        '  - { match: "tenant:*/workflow:support/run:*", unit: USD_MICROCENTS, allocated: "$2" }',
      ].join('\n'),
    );
    const { code, out } = await run(['balances', file]);
    expect(code).toBe(0);
    expect(out).toMatch(/tenant:acme\s+USD_MICROCENTS\s+\$50\.00\s+\$0\.00\s+\$0\.00\s+\$50\.00\s+ACTIVE/);
    expect(out).toMatch(/tenant:acme\/workflow:support\s+RISK_POINTS\s+1,000 pt\s+0 pt\s+0 pt\s+1,000 pt/);
    expect(out).toContain('tenant:*/workflow:support/run:*  USD_MICROCENTS  $2.00');
    const json = await run(['balances', '--file', file, '--json', '--tenant', 'acme']);
    expect(JSON.parse(json.out).budgets).toHaveLength(2);
  });
});
