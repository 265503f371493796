import type { Approval, ApprovalLedger } from '@governor/core';
import { intFlag, parseFlags, UsageError } from '../args.js';
import { AUDIT_SOURCE_FLAGS, AUDIT_SOURCE_HELP } from '../audit-source.js';
import type { Io } from '../io.js';
import { checkLedgerFlags, type LedgerFlags } from '../ledger-flags.js';

export const APPROVALS_HELP = `Usage: governor approvals <action> (--server <url> | --redis <url> | --ledger <file>) [options]

Tool calls paused for approval: a denial the approval policy names waits here
until an operator approves it (the call then runs once, the budgets that
blocked it raised by what it lacks) or rejects it.

Actions:
  list                    the approvals, newest first (every tenant's unless --tenant)
  show <id> --tenant <id> one approval
  approve <id> --tenant <id> [--note <text>] [--as <actor>]
  reject <id> --tenant <id> [--note <text>] [--as <actor>]
                          decide a PENDING approval; exit 1 if it is decided, used or expired

Options:
  --tenant <id>           the approval's tenant (list: only this tenant's)
  --status <status>       list: PENDING, APPROVED, REJECTED, USED or EXPIRED
  --limit <n>             list: at most n (default 100, at most 1000)
  --note <text>           approve, reject: recorded with the decision
  --as <actor>            approve, reject: who decided, e.g. operator:ann (default: admin
                          on a server, else this process, as the audit trail records it)
  --json                  print JSON

Source:
${AUDIT_SOURCE_HELP}
  -h, --help             show this help
`;

const ACTIONS = ['list', 'show', 'approve', 'reject'] as const;
const STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'USED', 'EXPIRED'];
type Desk = Pick<ApprovalLedger, 'listApprovals' | 'getApproval' | 'decideApproval'>;

export async function approvalsCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      ...AUDIT_SOURCE_FLAGS,
      tenant: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      note: { type: 'string' },
      as: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    io.out(APPROVALS_HELP);
    return 0;
  }
  const [action, id, ...rest] = positionals;
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number]))
    throw new UsageError(
      `${action === undefined ? 'an action is required' : `unknown action "${action}"`} (one of ${ACTIONS.join(', ')})`,
    );
  if (rest.length > 0 || (action === 'list' && id !== undefined))
    throw new UsageError(`${action}: unexpected "${[id, ...rest].filter(Boolean).join(' ')}"`);
  if (action !== 'list') {
    if (id === undefined) throw new UsageError(`${action}: an approval id is required`);
    if (values.tenant === undefined) throw new UsageError(`${action}: --tenant <id> is required`);
  }
  if (values.status !== undefined && !STATUSES.includes(values.status.toUpperCase()))
    throw new UsageError(`--status: expected one of ${STATUSES.join(', ')}, got "${values.status}"`);
  const limit = values.limit === undefined ? undefined : intFlag('limit', values.limit, 100, 1);
  if (limit !== undefined && limit > 1_000) throw new UsageError(`--limit: at most 1000, got ${limit}`);
  if ((values.note !== undefined || values.as !== undefined) && action !== 'approve' && action !== 'reject')
    throw new UsageError(`${action}: --note and --as are for approve and reject`);
  checkLedgerFlags(values, 'approvals');

  const print = (a: Approval, lines: () => string[]) => {
    if (values.json) io.out(JSON.stringify(a, null, 2));
    else for (const line of lines()) io.out(line);
  };
  return withApprovals(values, async (desk) => {
    if (action === 'list') {
      const status = values.status?.toUpperCase() as Approval['status'] | undefined;
      const approvals = await desk.listApprovals({ tenant: values.tenant, status, limit });
      const { approvalTable } = await import('../approvals-format.js');
      if (values.json) io.out(JSON.stringify(approvals, null, 2));
      else if (approvals.length === 0) io.out('No approvals.');
      else for (const line of approvalTable(approvals, io.color)) io.out(line);
      return 0;
    }
    const { approvalLines } = await import('../approvals-format.js');
    const tenant = values.tenant as string;
    if (action === 'show') {
      const a = await desk.getApproval(tenant, id as string);
      print(a, () => approvalLines(a));
      return 0;
    }
    const decided = await desk.decideApproval({
      tenant,
      approvalId: id as string,
      decision: action === 'approve' ? 'APPROVE' : 'REJECT',
      actor: values.as,
      note: values.note,
    });
    print(decided, () => [
      `approval ${decided.approvalId}: ${decided.status} by ${decided.decidedBy ?? '?'}`,
    ]);
    return 0;
  });
}

/** The approvals of the ledger the flags name: a server's admin plane, or a ledger that keeps them. */
async function withApprovals(flags: LedgerFlags, fn: (desk: Desk) => Promise<number>): Promise<number> {
  if (flags.server === undefined && flags.redis === undefined && flags.ledger === undefined)
    throw new UsageError('--server <url>, --redis <url> or --ledger <file> is required');
  const [{ openLedger }, { isApprovalLedger }] = await Promise.all([
    import('../ledger.js'),
    import('@governor/core'),
  ]);
  const ledger = await openLedger(flags);
  try {
    const desk: unknown = ledger.server ?? ledger.authority;
    if (!ledger.server && !isApprovalLedger(desk))
      throw new Error(`the ledger at ${ledger.where} keeps no approvals`);
    return await fn(desk as Desk);
  } finally {
    await ledger.close();
  }
}
