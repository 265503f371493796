import type { BudgetInfo, LedgerAdmin, PolicyApplied } from '@governor/core';
import { parseFlags, UsageError } from '../args.js';
import { budgetTable, sortBudgets } from '../format.js';
import type { Io } from '../io.js';
import type { OpenLedger } from '../ledger.js';
import { checkLedgerFlags } from '../ledger-flags.js';

export const BUDGETS_HELP = `Usage: governor budgets <action> (--server <url> | --redis <url> | --ledger <file>) [options]

Change budgets on a Governor server, a Redis ledger or a SQLite ledger file.

Actions:
  create   --scope <scope> --unit <unit> --allocated <amount> [--overdraft-limit <amount>]
  fund     --scope <scope> --unit <unit> --amount <amount>     (repays debt first)
  freeze   --scope <scope> --unit <unit>                       (new reservations are denied)
  unfreeze --scope <scope> --unit <unit>
  apply    <file>   create the budgets of a JSON/YAML policy file that do not exist yet
                    (existing ones are left as they are, never re-funded), add the templates
                    the ledger does not have yet, set its degradation tiers: applying the
                    same file twice changes nothing the second time (on a server, over
                    HTTP with --server, its risk points too)

Options:
  --server <url>      a Governor server (governor serve): its admin plane, with the
                      admin key from --admin-key-file or GOVERNOR_ADMIN_KEY
  --admin-key-file <file>
  --redis <url>       the Redis ledger
  --prefix <prefix>   the key prefix (default governor)
  --ledger <file>     a SQLite ledger file (SqliteAuthority); create and apply create the
                      file if it does not exist yet
  --json              print the resulting budget(s) as JSON
  -h, --help          show this help

Units: USD_MICROCENTS, TOKENS, CREDITS, RISK_POINTS. Amounts are whole numbers in the
unit; for USD_MICROCENTS dollars may be written "$2.50".
`;

const ACTIONS = ['create', 'fund', 'freeze', 'unfreeze', 'apply'] as const;
type Action = (typeof ACTIONS)[number];

export async function budgetsCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      server: { type: 'string' },
      'admin-key-file': { type: 'string' },
      redis: { type: 'string' },
      prefix: { type: 'string' },
      ledger: { type: 'string' },
      scope: { type: 'string' },
      unit: { type: 'string' },
      allocated: { type: 'string' },
      'overdraft-limit': { type: 'string' },
      amount: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    io.out(BUDGETS_HELP);
    return 0;
  }
  const [action, ...rest] = positionals;
  if (!ACTIONS.includes(action as Action)) {
    throw new UsageError(
      `${action === undefined ? 'an action is required' : `unknown action "${action}"`} (one of ${ACTIONS.join(', ')})`,
    );
  }
  if (action !== 'apply' && rest.length) throw new UsageError(`${action}: unexpected "${rest.join(' ')}"`);
  if (values.redis === undefined && values.ledger === undefined && values.server === undefined) {
    throw new UsageError(`${action}: --redis <url> is required, or --ledger <file>, or --server <url>`);
  }
  checkLedgerFlags(values, action as Action);

  // Check everything the user typed before connecting.
  const notes: string[] = [];
  const run = await plan(action as Action, rest, values, notes);
  const { openLedger } = await import('../ledger.js');
  const ledger = await openLedger(values, { create: action === 'create' || action === 'apply' });
  let budgets: BudgetInfo[];
  try {
    budgets = sortBudgets(await run(ledger));
  } finally {
    await ledger.close();
  }
  if (values.json) io.out(JSON.stringify(budgets, null, 2));
  else for (const note of notes) io.out(note);
  if (!values.json) for (const line of budgetTable(budgets, io.color)) io.out(line);
  return 0;
}

type Values = Record<string, string | boolean | undefined>;

async function plan(
  action: Action,
  rest: string[],
  values: Values,
  notes: string[],
): Promise<(open: OpenLedger) => Promise<BudgetInfo[]>> {
  const str = (name: string) => values[name] as string | undefined;
  const [{ applyPolicy }, { amountFlag, readPolicy, scopeFlag, unitFlag }] = await Promise.all([
    import('@governor/core'),
    import('../policy.js'),
  ]);
  if (action === 'apply') {
    if (rest.length !== 1) throw new UsageError('apply: exactly one file is required');
    const policy = await readPolicy(rest[0] as string);
    return async ({ authority: ledger, server }) => {
      if (server) return (await server.applyPolicy(policy)).budgets;
      notes.push(...appliedNotes(await applyPolicy(ledger, policy)));
      const mine = new Set((policy.budgets ?? []).map((b) => `${b.scope}\n${b.unit}`));
      return (await ledger.listBudgets()).filter((b) => mine.has(`${b.scope}\n${b.unit}`));
    };
  }
  const scope = scopeFlag(str('scope'));
  const unit = unitFlag(str('unit'));
  const key = { scope, unit };
  switch (action) {
    case 'create': {
      const allocated = amountFlag('allocated', str('allocated'), unit);
      const limit = str('overdraft-limit');
      const overdraftLimit = limit === undefined ? undefined : amountFlag('overdraft-limit', limit, unit);
      return async ({ authority: ledger }: { authority: LedgerAdmin }) => [
        await ledger.createBudget({
          ...key,
          allocated,
          ...(overdraftLimit !== undefined ? { overdraftLimit } : {}),
        }),
      ];
    }
    case 'fund': {
      const amount = amountFlag('amount', str('amount'), unit);
      return async ({ authority: ledger }: { authority: LedgerAdmin }) => [
        await ledger.fund({ ...key, amount }),
      ];
    }
    case 'freeze':
      return async ({ authority: ledger }: { authority: LedgerAdmin }) => [await ledger.freeze(key)];
    case 'unfreeze':
      return async ({ authority: ledger }: { authority: LedgerAdmin }) => [await ledger.unfreeze(key)];
  }
}

/** What `apply` did, in a few lines: applying the same file again creates and adds nothing. */
function appliedNotes(a: PolicyApplied): string[] {
  const lines = [
    `budgets: ${`${a.created.length} created`}` +
      (a.existing.length ? `, ${a.existing.length} already there (left as they are, not re-funded)` : ''),
    `templates: ${a.templatesAdded.length} added` +
      (a.templatesExisting.length ? `, ${a.templatesExisting.length} already there` : ''),
  ];
  if (a.degradation !== 'none') lines.push(`degradation tiers: ${a.degradation}`);
  for (const e of a.existing) {
    if (e.allocated !== e.policyAllocated) {
      lines.push(
        `note: ${e.scope} ${e.unit} is allocated ${e.allocated} on the ledger, ${e.policyAllocated} in the file; use budgets fund to change it`,
      );
    }
  }
  return [...lines, ''];
}
