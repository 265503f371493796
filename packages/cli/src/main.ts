/** The `governor` command line: dispatch to a command, map failures to exit codes. */
import { GovernorError } from '@governor/core';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './args.js';
import { balancesCommand } from './commands/balances.js';
import { budgetsCommand } from './commands/budgets.js';
import { demoCommand } from './commands/demo.js';
import { keysCommand } from './commands/keys.js';
import { mcpProxyCommand } from './commands/mcp-proxy.js';
import { recoveryAdapterCommand } from './commands/recovery-adapter.js';
import { serveCommand } from './commands/serve.js';
import { tenantsCommand } from './commands/tenants.js';
import type { Io } from './io.js';

export const HELP = `Usage: governor <command> [options]

Runtime authority for AI agents: budgets, risk points and caps, decided before
each model or tool call.

Commands:
  demo        replay the runaway-email incident (no API key, no Redis needed)
  serve       run a Cycles-protocol server (runtime and admin planes) on memory or Redis
  tenants     create, list, suspend or close the tenants of a server
  keys        create, list or revoke a tenant's API keys on a server
  balances    a table of budgets: from a budgets file, a server, a Redis ledger or a SQLite ledger file
  budgets     create, fund, freeze or unfreeze budgets on a server, Redis or a SQLite ledger, or apply a file
  mcp-proxy   an enforcing MCP proxy (when @governor/mcp provides it)
  recovery-adapter
              run the native tests bound to a client-recovery scenario (JSON on stdin), print a verdict

Run \`governor <command> --help\` for a command's options.
Exit codes: 0 ok, 1 the command failed, 2 wrong usage.
`;

type Command = (argv: string[], io: Io) => Promise<number>;
const COMMANDS: Record<string, Command> = {
  demo: demoCommand,
  balances: balancesCommand,
  budgets: budgetsCommand,
  serve: serveCommand,
  tenants: tenantsCommand,
  keys: keysCommand,
  'mcp-proxy': mcpProxyCommand,
  'recovery-adapter': recoveryAdapterCommand,
};

/** Run the CLI with `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(HELP);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`governor: unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}.`);
    io.err('Run `governor --help` for usage.');
    return EXIT_USAGE;
  }
  try {
    return await command(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`governor ${name}: ${error.message}`);
      io.err(`Run \`governor ${name} --help\` for usage.`);
      return EXIT_USAGE;
    }
    io.err(`governor ${name}: ${describeError(error)}`);
    return EXIT_FAILURE;
  }
}

function describeError(error: unknown): string {
  if (error instanceof GovernorError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
