import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisAuthority } from '@governor/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIo, type DemoReport, main, runDemo } from '../src/index.js';
import { deletePrefix } from '../src/redis.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `governor-cli-test-${randomUUID()}`;
const cleaner = new RedisAuthority({ url: REDIS_URL, keyPrefix: PREFIX });

afterAll(async () => {
  await deletePrefix(cleaner, PREFIX);
  await cleaner.quit();
});

async function cli(...argv: string[]) {
  const io = bufferIo();
  const code = await main([...argv, '--redis', REDIS_URL, '--prefix', PREFIX], io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

describe('governor budgets and balances on Redis', () => {
  const scope = 'tenant:cli-test/workflow:support';

  it('create, fund, freeze, unfreeze — each prints the budget as the ledger has it', async () => {
    const created = await cli(
      'budgets',
      'create',
      '--scope',
      scope,
      '--unit',
      'USD_MICROCENTS',
      '--allocated',
      '$2.50',
      '--json',
    );
    expect(created.code).toBe(0);
    expect(JSON.parse(created.out)).toEqual([
      expect.objectContaining({ scope, unit: 'USD_MICROCENTS', allocated: 250_000_000, status: 'ACTIVE' }),
    ]);

    const funded = await cli(
      'budgets',
      'fund',
      '--scope',
      scope,
      '--unit',
      'usd_microcents',
      '--amount',
      '50000000',
    );
    expect(funded.code).toBe(0);
    expect(funded.out).toMatch(/USD_MICROCENTS\s+\$3\.00\s+\$0\.00\s+\$0\.00\s+\$3\.00\s+ACTIVE/);

    const frozen = await cli('budgets', 'freeze', '--scope', scope, '--unit', 'USD_MICROCENTS');
    expect(frozen.out).toMatch(/FROZEN/);
    const listed = await cli('balances', '--json');
    expect(JSON.parse(listed.out).budgets).toEqual([
      expect.objectContaining({ scope, status: 'FROZEN', allocated: 300_000_000 }),
    ]);
    const reserve = await cleaner.reserve({
      idempotencyKey: randomUUID(),
      subject: { tenant: 'cli-test', workflow: 'support' },
      action: { kind: 'tool.call', name: 'x' },
      estimate: { unit: 'USD_MICROCENTS', amount: 1 },
    });
    expect(reserve).toMatchObject({ decision: 'DENY', reasonCode: 'BUDGET_FROZEN' });

    const unfrozen = await cli('budgets', 'unfreeze', '--scope', scope, '--unit', 'USD_MICROCENTS');
    expect(unfrozen.out).toMatch(/ACTIVE/);
  });

  it('creating a budget that exists is a runtime failure (exit 1) with the ledger’s message', async () => {
    const again = await cli(
      'budgets',
      'create',
      '--scope',
      scope,
      '--unit',
      'USD_MICROCENTS',
      '--allocated',
      '1',
    );
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/governor budgets: .*INVALID_REQUEST/);
  });

  it('apply a YAML file: creates what is missing, keeps what exists; balances shows a table', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'governor-cli-'));
    const file = join(dir, 'budgets.yaml');
    await writeFile(
      file,
      [
        'budgets:',
        `  - { scope: "${scope}", unit: USD_MICROCENTS, allocated: "$100" }`,
        '  - { scope: "tenant:cli-test", unit: RISK_POINTS, allocated: 500 }',
        'templates:',
        '  - { match: "tenant:*/workflow:support/run:*", unit: RISK_POINTS, allocated: 200 }',
      ].join('\n'),
    );
    const applied = await cli('budgets', 'apply', file);
    expect(applied.code).toBe(0);
    expect(applied.out).toMatch(/tenant:cli-test\s+RISK_POINTS\s+500 pt/);
    expect(applied.out).toMatch(/workflow:support\s+USD_MICROCENTS\s+\$3\.00/); // existing budget kept
    const table = await cli('balances', '--tenant', 'cli-test');
    expect(table.code).toBe(0);
    expect(table.out.split('\n')[0]).toMatch(
      /^scope\s+unit\s+allocated\s+spent\s+reserved\s+remaining\s+status$/,
    );
    expect(table.out).toContain('tenant:*/workflow:support/run:*  RISK_POINTS  200 pt');
  });
});

describe('governor approvals --redis', () => {
  it('lists, approves and rejects on the Redis ledger, read back from it; a second decision is exit 1', async () => {
    const ask = (key: string) =>
      cleaner.requestApproval({
        key,
        subject: { tenant: 'cli-test', run: 'r1' },
        action: { kind: 'tool.call', name: 'send_email' },
        estimate: { unit: 'RISK_POINTS', amount: 5 },
        reasonCode: 'BUDGET_EXCEEDED',
        ttlMs: 60_000,
      });
    const a = await ask('cli-approve');
    const b = await ask('cli-reject');
    const listed = await cli('approvals', 'list', '--tenant', 'cli-test', '--status', 'PENDING', '--json');
    expect(listed.code).toBe(0);
    expect(
      JSON.parse(listed.out)
        .map((x: { approvalId: string }) => x.approvalId)
        .sort(),
    ).toEqual([a.approvalId, b.approvalId].sort());
    const approved = await cli(
      'approvals',
      'approve',
      a.approvalId,
      '--tenant',
      'cli-test',
      '--as',
      'operator:ann',
    );
    expect(approved).toMatchObject({ code: 0, out: `approval ${a.approvalId}: APPROVED by operator:ann` });
    expect((await cleaner.getApproval('cli-test', a.approvalId)).status).toBe('APPROVED');
    expect(
      (await cli('approvals', 'reject', b.approvalId, '--tenant', 'cli-test', '--note', 'no')).code,
    ).toBe(0);
    const again = await cli('approvals', 'approve', b.approvalId, '--tenant', 'cli-test');
    expect(again).toMatchObject({ code: 1, err: expect.stringMatching(/REJECTED/) });
    expect(await cleaner.getApproval('cli-test', b.approvalId)).toMatchObject({
      status: 'REJECTED',
      note: 'no',
    });
    const missing = await cli('approvals', 'show', 'apr_missing', '--tenant', 'cli-test');
    expect(missing.code).toBe(1);
  });
});

describe('governor demo --redis', () => {
  it('gives the same outcomes and ledger figures as the embedded ledger, and leaves no keys', async () => {
    const memory = await runDemo({ emails: 120, riskPoints: 60 }, bufferIo());
    const io = bufferIo();
    const redisKeyPrefix = `${PREFIX}-demo`;
    const redis: DemoReport = await runDemo(
      { emails: 120, riskPoints: 60, redis: REDIS_URL, redisKeyPrefix },
      io,
    );
    expect(redis.authority).toBe('redis');
    expect(redis.governed.outcomes).toEqual(memory.governed.outcomes);
    expect(redis.governed.ledger).toEqual(memory.governed.ledger);
    expect(redis.governed.executed.send_email).toBe(60);
    const keys = await cleaner.client.keys(`${redisKeyPrefix}*`);
    expect(keys).toEqual([]);
  });
});
