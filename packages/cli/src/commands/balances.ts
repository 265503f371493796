import { type BudgetInfo, MemoryAuthority } from '@governor/core';
import { parseFlags, UsageError } from '../args.js';
import { BUDGET_ALIGN, BUDGET_HEADERS, budgetRows, quantity, sortBudgets, table } from '../format.js';
import type { Io } from '../io.js';
import { checkLedgerFlags, openLedger } from '../ledger.js';
import { readPolicy } from '../policy.js';

export const BALANCES_HELP = `Usage: governor balances (<file> | --file <file> | --server <url> | --redis <url> | --ledger <file>) [options]

A table of budgets: allocated, spent, reserved, remaining, status.

  <file>, --file <file>  a budgets file (JSON or YAML, the policy format of @governor/core):
                         the budgets it provisions, on a fresh ledger, and its templates
  --server <url>         the budgets of a Governor server (admin key from --admin-key-file
                         or GOVERNOR_ADMIN_KEY)
  --admin-key-file <file>
  --redis <url>          the budgets of a Redis ledger
  --prefix <prefix>      the Redis key prefix (default governor)
  --ledger <file>        the budgets of a SQLite ledger file (SqliteAuthority; must exist)
  --tenant <id>          only this tenant's budgets
  --json                 print JSON
  -h, --help             show this help
`;

export async function balancesCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      file: { type: 'string' },
      server: { type: 'string' },
      'admin-key-file': { type: 'string' },
      redis: { type: 'string' },
      prefix: { type: 'string' },
      ledger: { type: 'string' },
      tenant: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    io.out(BALANCES_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`one file at most, got ${positionals.join(' ')}`);
  const file = values.file ?? positionals[0];
  const sources = [file, values.redis, values.ledger, values.server].filter((s) => s !== undefined).length;
  if (sources !== 1) {
    throw new UsageError(
      'give either a budgets file or --redis <url> or --ledger <file> or --server <url> (one of them)',
    );
  }
  checkLedgerFlags(values, 'balances');
  const filter = values.tenant ? { tenant: values.tenant } : undefined;

  let budgets: BudgetInfo[];
  let templates: Array<{ match: string; unit: BudgetInfo['unit']; allocated: number }> = [];
  if (file !== undefined) {
    const policy = await readPolicy(file);
    const ledger = new MemoryAuthority();
    for (const budget of policy.budgets ?? []) await ledger.createBudget(budget);
    budgets = await ledger.listBudgets(filter);
    templates = policy.templates ?? [];
  } else {
    const ledger = await openLedger(values);
    try {
      budgets = await ledger.authority.listBudgets(filter);
      templates = await ledger.authority.listTemplates();
    } finally {
      await ledger.close();
    }
  }
  budgets = sortBudgets(budgets);
  if (values.json) {
    io.out(JSON.stringify({ budgets, templates }, null, 2));
    return 0;
  }
  if (budgets.length === 0) io.out('No budgets.');
  else for (const line of table(BUDGET_HEADERS, budgetRows(budgets), BUDGET_ALIGN)) io.out(line);
  if (templates.length) {
    io.out('');
    io.out('Templates (a budget per matching scope, on first use):');
    for (const t of templates) io.out(`  ${t.match}  ${t.unit}  ${quantity(t.unit, t.allocated)}`);
  }
  return 0;
}
