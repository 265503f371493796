/**
 * `governor audit` and `governor explain` against a real server: the records
 * of a governed run, a CSV export, a chain that verifies, and the explanation
 * of a DENY-adjacent reservation in one screen.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openServer } from '@governor/server';
import { bufferIo, main } from 'governor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ADMIN_KEY = 'audit-cli-admin-key-0123456789';
let server: Awaited<ReturnType<typeof openServer>>;
let url: string;
let reservationId: string;
const saved = process.env.GOVERNOR_ADMIN_KEY;

beforeAll(async () => {
  process.env.GOVERNOR_ADMIN_KEY = ADMIN_KEY;
  server = await openServer({ adminKey: ADMIN_KEY, rateLimit: false });
  url = await server.listen({ port: 0 });
  const ledger = server.authority;
  await ledger.createBudget({ scope: 'tenant:acme', unit: 'USD_MICROCENTS', allocated: 100 });
  const call = (idempotencyKey: string, amount: number) =>
    ledger.reserve({
      idempotencyKey,
      subject: { tenant: 'acme', run: 'r-7' },
      action: { kind: 'tool.call', name: 'send_email' },
      estimate: { unit: 'USD_MICROCENTS', amount },
    });
  const first = await call('a-1', 60);
  reservationId = first.reservationId as string;
  await ledger.commit(reservationId, {
    idempotencyKey: 'c-1',
    actual: { unit: 'USD_MICROCENTS', amount: 50 },
  });
  expect((await call('a-2', 80)).decision).toBe('DENY');
});
afterAll(async () => {
  await server.close();
  if (saved === undefined) delete process.env.GOVERNOR_ADMIN_KEY;
  else process.env.GOVERNOR_ADMIN_KEY = saved;
});

const cli = async (...argv: string[]) => {
  const io = bufferIo();
  const code = await main(argv, io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
};

describe('governor audit / explain', () => {
  it('query: a table of the records, filterable by decision', async () => {
    const all = await cli('audit', 'query', '--server', url, '--tenant', 'acme');
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/budget\.create/);
    expect(all.out).toMatch(/reserve\s+ALLOW\s+tenant:acme\/run:r-7\s+tool\.call\/send_email/);
    const denied = await cli('audit', 'query', '--server', url, '--decision', 'DENY', '--json');
    const records = JSON.parse(denied.out);
    expect(records.map((r: { decision: string; reasonCode: string }) => [r.decision, r.reasonCode])).toEqual([
      ['DENY', 'BUDGET_EXCEEDED'],
    ]);
    const bad = await cli('audit', 'query', '--server', url, '--from', 'yesterday');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--from: expected an ISO time/);
  });

  it('export: CSV with a header and one line per record; JSON lines by default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gov-audit-'));
    const out = join(dir, 'acme.csv');
    const csv = await cli(
      'audit',
      'export',
      '--server',
      url,
      '--tenant',
      'acme',
      '--format',
      'csv',
      '--out',
      out,
    );
    expect(csv.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^tenant,id,atMs,operation,decision/);
    expect(lines).toHaveLength(5); // header, budget.create, reserve, commit, reserve DENY
    const jsonl = await cli('audit', 'export', '--server', url, '--run', 'r-7');
    expect(jsonl.out.split('\n').map((l) => JSON.parse(l).operation)).toEqual([
      'reserve',
      'commit',
      'reserve',
    ]);
  });

  it('verify: the chain is intact (exit 0)', async () => {
    const v = await cli('audit', 'verify', '--server', url, '--tenant', 'acme');
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/acme: 4 records, chain intact; head [0-9a-f]{40}/);
    expect((await cli('audit', 'verify', '--server', url)).code).toBe(2);
  });

  it('explain: why it was allowed, the balances then, and what followed', async () => {
    const e = await cli('explain', reservationId, '--server', url);
    expect(e.code).toBe(0);
    expect(e.out).toMatch(
      /ALLOW: every scope had room; the tightest, tenant:acme, had 100 for an estimate of 60/,
    );
    expect(e.out).toMatch(/tenant:acme\s+ACTIVE\s+\$0\.000001\s+\$0\.0000004\s+0%/);
    expect(e.out).toMatch(/commit\s+charged \$0\.0000005\s+by process:/);
    const scoped = await cli('explain', reservationId, '--server', url, '--tenant', 'acme');
    expect(scoped.out).toBe(e.out);
    expect((await cli('explain', reservationId, '--server', url, '--tenant', 'globex')).code).toBe(1);
    const missing = await cli('explain', 'rsv_nope', '--server', url);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no audit record of reservation rsv_nope/);
  });

  it('--help on both commands', async () => {
    expect((await cli('audit', '--help')).out).toMatch(/Usage: governor audit <action>/);
    expect((await cli('explain', '--help')).out).toMatch(/Usage: governor explain <reservation-id>/);
  });
});
