import type { BudgetInfo, LedgerAdmin } from '@governor/core';
import { applyPolicy } from '@governor/core';
import { parseFlags, UsageError } from '../args.js';
import { BUDGET_ALIGN, BUDGET_HEADERS, budgetRows, sortBudgets, table } from '../format.js';
import type { Io } from '../io.js';
import { checkLedgerFlags, type OpenLedger, openLedger } from '../ledger.js';
import { amountFlag, readPolicy, scopeFlag, unitFlag } from '../policy.js';

export const BUDGETS_HELP = `Usage: governor budgets <action> (--server <url> | --redis <url> | --ledger <file>) [options]

Change budgets on a Governor server, a Redis ledger or a SQLite ledger file.

Actions:
  create   --scope <scope> --unit <unit> --allocated <amount> [--overdraft-limit <amount>]
  fund     --scope <scope> --unit <unit> --amount <amount>     (repays debt first)
  freeze   --scope <scope> --unit <unit>                       (new reservations are denied)
  unfreeze --scope <scope> --unit <unit>
  apply    <file>   create the budgets of a JSON/YAML policy file that do not exist yet,
                    add its templates, set its degradation tiers (and, on a server,
                    its risk points), over HTTP with --server

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
  const run = await plan(action as Action, rest, values);
  const ledger = await openLedger(values, { create: action === 'create' || action === 'apply' });
  let budgets: BudgetInfo[];
  try {
    budgets = sortBudgets(await run(ledger));
  } finally {
    await ledger.close();
  }
  if (values.json) io.out(JSON.stringify(budgets, null, 2));
  else for (const line of table(BUDGET_HEADERS, budgetRows(budgets), BUDGET_ALIGN)) io.out(line);
  return 0;
}

type Values = Record<string, string | boolean | undefined>;

async function plan(
  action: Action,
  rest: string[],
  values: Values,
): Promise<(open: OpenLedger) => Promise<BudgetInfo[]>> {
  const str = (name: string) => values[name] as string | undefined;
  if (action === 'apply') {
    if (rest.length !== 1) throw new UsageError('apply: exactly one file is required');
    const policy = await readPolicy(rest[0] as string);
    return async ({ authority: ledger, server }) => {
      if (server) return (await server.applyPolicy(policy)).budgets;
      await applyPolicy(ledger, policy);
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
      return async ({ authority: ledger }) => [
        await ledger.createBudget({
          ...key,
          allocated,
          ...(overdraftLimit !== undefined ? { overdraftLimit } : {}),
        }),
      ];
    }
    case 'fund': {
      const amount = amountFlag('amount', str('amount'), unit);
      return async ({ authority: ledger }) => [await ledger.fund({ ...key, amount })];
    }
    case 'freeze':
      return async ({ authority: ledger }: { authority: LedgerAdmin }) => [await ledger.freeze(key)];
    case 'unfreeze':
      return async ({ authority: ledger }: { authority: LedgerAdmin }) => [await ledger.unfreeze(key)];
  }
}
