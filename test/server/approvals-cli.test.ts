/**
 * `governor approvals` against a real server (the admin key): list, show,
 * approve and reject, each read back from the server's ledger; bad flags are
 * exit 2, a missing approval or a second decision exit 1.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApprovalRequest, ManualClock, MemoryAuthority } from '@governor/core';
import { openServer } from '@governor/server';
import { SqliteAuthority } from '@governor/sqlite';
import { bufferIo, main } from 'governor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ADMIN_KEY = 'approvals-cli-admin-key-0123456789';
const clock = new ManualClock(Date.UTC(2026, 0, 1));
const ledger = new MemoryAuthority({ clock });
let server: Awaited<ReturnType<typeof openServer>>;
let url: string;
const saved = process.env.GOVERNOR_ADMIN_KEY;

const ask = (key: string, tenant = 'acme'): ApprovalRequest => ({
  key,
  subject: { tenant, workflow: 'support', run: 'r1' },
  action: { kind: 'tool.call', name: 'send_email' },
  estimate: { unit: 'USD_MICROCENTS', amount: 25_000_000 },
  reasonCode: 'BUDGET_EXCEEDED',
  blockedScope: `tenant:${tenant}/workflow:support/run:r1`,
  ttlMs: 3_600_000,
});

beforeAll(async () => {
  process.env.GOVERNOR_ADMIN_KEY = ADMIN_KEY;
  server = await openServer({ adminKey: ADMIN_KEY, rateLimit: false, authority: ledger });
  url = await server.listen({ port: 0 });
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

describe('governor approvals', () => {
  it.each([
    [['approvals'], /an action is required/],
    [['approvals', 'grant', '--server', 'http://x'], /unknown action "grant"/],
    [['approvals', 'list', '--bogus'], /Unknown option '--bogus'/],
    [['approvals', 'list', '--server', 'http://x', '--status', 'DONE'], /--status: expected one of PENDING/],
    [['approvals', 'list', '--server', 'http://x', '--limit', '0'], /--limit: expected a whole number ≥ 1/],
    [['approvals', 'show', '--server', 'http://x', '--tenant', 'acme'], /show: an approval id is required/],
    [['approvals', 'approve', 'apr_1', '--server', 'http://x'], /approve: --tenant <id> is required/],
    [
      ['approvals', 'show', 'apr_1', '--tenant', 'a', '--note', 'x', '--server', 'http://x'],
      /--note and --as/,
    ],
    [['approvals', 'list'], /--server <url>, --redis <url> or --ledger <file> is required/],
    [['approvals', 'list', '--server', 'http://x', '--redis', 'redis://x'], /not both/],
  ])('%j → exit 2 with a message', async (argv, message) => {
    const { code, err, out } = await cli(...argv);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(out).toBe('');
  });

  it('--help of the command, without a ledger', async () => {
    const { code, out } = await cli('approvals', 'approve', '--help');
    expect(code).toBe(0);
    expect(out).toContain('Usage: governor approvals');
    expect((await cli('--help')).out).toMatch(/approvals\s+list, show, approve or reject/);
  });

  it('list and show: every tenant, or one, by status', async () => {
    const a = await ledger.requestApproval(ask('cli-1'));
    clock.advance(1_000);
    const b = await ledger.requestApproval(ask('cli-2', 'globex'));
    const all = await cli('approvals', 'list', '--server', url);
    expect(all.code).toBe(0);
    expect(all.out).toMatch(
      new RegExp(
        `${b.approvalId}\\s+globex\\s+PENDING\\s+tenant:globex/workflow:support/run:r1\\s+tool\\.call/send_email\\s+\\$0\\.25\\s+BUDGET_EXCEEDED`,
      ),
    );
    expect(all.out.indexOf(b.approvalId)).toBeLessThan(all.out.indexOf(a.approvalId));
    const acme = await cli(
      'approvals',
      'list',
      '--server',
      url,
      '--tenant',
      'acme',
      '--status',
      'pending',
      '--json',
    );
    expect(JSON.parse(acme.out).map((x: { approvalId: string }) => x.approvalId)).toEqual([a.approvalId]);
    const shown = await cli('approvals', 'show', a.approvalId, '--tenant', 'acme', '--server', url);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(/status\s+PENDING/);
    expect(shown.out).toMatch(/denied for\s+BUDGET_EXCEEDED at tenant:acme\/workflow:support\/run:r1/);
    const none = await cli('approvals', 'list', '--server', url, '--status', 'USED');
    expect(none.out).toBe('No approvals.');
  });

  it('approve and reject: recorded with the actor and note; a second decision fails, changing nothing', async () => {
    const a = await ledger.requestApproval(ask('cli-3'));
    const b = await ledger.requestApproval(ask('cli-4'));
    const approved = await cli(
      'approvals',
      'approve',
      a.approvalId,
      '--tenant',
      'acme',
      '--server',
      url,
      '--note',
      'one more',
      '--as',
      'operator:ann',
    );
    expect(approved).toMatchObject({ code: 0, out: `approval ${a.approvalId}: APPROVED by operator:ann` });
    expect(await ledger.getApproval('acme', a.approvalId)).toMatchObject({
      status: 'APPROVED',
      decidedBy: 'operator:ann',
      note: 'one more',
    });
    const rejected = await cli(
      'approvals',
      'reject',
      b.approvalId,
      '--tenant',
      'acme',
      '--server',
      url,
      '--json',
    );
    expect(JSON.parse(rejected.out)).toMatchObject({ status: 'REJECTED', decidedBy: 'admin' });
    const again = await cli('approvals', 'approve', b.approvalId, '--tenant', 'acme', '--server', url);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/is REJECTED, not PENDING.*\(INVALID_REQUEST\)/);
    expect((await ledger.getApproval('acme', b.approvalId)).status).toBe('REJECTED');
  });

  it('a missing approval, another tenant or a wrong admin key: exit 1', async () => {
    const a = await ledger.requestApproval(ask('cli-5'));
    const missing = await cli('approvals', 'show', 'apr_missing', '--tenant', 'acme', '--server', url);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/apr_missing not found.*\(NOT_FOUND\)/);
    const elsewhere = await cli('approvals', 'approve', a.approvalId, '--tenant', 'globex', '--server', url);
    expect(elsewhere.code).toBe(1);
    expect((await ledger.getApproval('acme', a.approvalId)).status).toBe('PENDING');
    const badId = await cli('approvals', 'show', 'nope', '--tenant', 'acme', '--server', url);
    expect(badId).toMatchObject({ code: 1, err: expect.stringMatching(/approvalId/) });
    process.env.GOVERNOR_ADMIN_KEY = 'not-the-key';
    try {
      const denied = await cli('approvals', 'list', '--server', url);
      expect(denied).toMatchObject({ code: 1, err: expect.stringMatching(/UNAUTHORIZED/) });
    } finally {
      process.env.GOVERNOR_ADMIN_KEY = ADMIN_KEY;
    }
  });

  it('on a SQLite ledger file: approve, read back from the file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gov-approvals-')), 'ledger.db');
    const sqlite = new SqliteAuthority({ path: file });
    try {
      const a = await sqlite.requestApproval(ask('cli-file'));
      const approved = await cli(
        'approvals',
        'approve',
        a.approvalId,
        '--tenant',
        'acme',
        '--ledger',
        file,
        '--as',
        'operator:ann',
      );
      expect(approved).toMatchObject({ code: 0, out: `approval ${a.approvalId}: APPROVED by operator:ann` });
      expect(await sqlite.getApproval('acme', a.approvalId)).toMatchObject({
        status: 'APPROVED',
        decidedBy: 'operator:ann',
      });
      const listed = await cli('approvals', 'list', '--ledger', file, '--status', 'APPROVED', '--json');
      expect(JSON.parse(listed.out).map((x: { approvalId: string }) => x.approvalId)).toEqual([a.approvalId]);
    } finally {
      await sqlite.close();
    }
  });
});
