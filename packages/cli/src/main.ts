/** The `governor` command line: dispatch to a command, map failures to exit codes. */
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './args.js';
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
  audit       query, export or verify the audit trail (one hash-chained record per decision and change)
  explain     why a reservation was allowed, capped or denied: balances then, and the rule that applied
  approvals   list, show, approve or reject the tool calls paused for approval
  watch       the live view in a terminal: balances and the decision stream (a server or Redis)
  mcp-proxy   the enforcing MCP proxy of @governor/mcp (governor-mcp-proxy)
  recovery-adapter
              run the native tests bound to a client-recovery scenario (JSON on stdin), print a verdict

Run \`governor <command> --help\` for a command's options.
Exit codes: 0 ok, 1 the command failed, 2 wrong usage.
`;

type Command = (argv: string[], io: Io) => Promise<number>;
/** Loaded on demand, so `--help` and each command load only what they use (no MCP SDK, LangChain or ioredis up front). */
const COMMANDS: Record<string, () => Promise<Command>> = {
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  balances: async () => (await import('./commands/balances.js')).balancesCommand,
  budgets: async () => (await import('./commands/budgets.js')).budgetsCommand,
  audit: async () => (await import('./commands/audit.js')).auditCommand,
  explain: async () => (await import('./commands/explain.js')).explainCommand,
  approvals: async () => (await import('./commands/approvals.js')).approvalsCommand,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  tenants: async () => (await import('./commands/tenants.js')).tenantsCommand,
  keys: async () => (await import('./commands/keys.js')).keysCommand,
  watch: async () => (await import('./commands/watch.js')).watchCommand,
  'mcp-proxy': async () => (await import('./commands/mcp-proxy.js')).mcpProxyCommand,
  'recovery-adapter': async () => (await import('./commands/recovery-adapter.js')).recoveryAdapterCommand,
};

/** Run the CLI with `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(HELP);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.err(`governor: unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}.`);
    io.err('Run `governor --help` for usage.');
    return EXIT_USAGE;
  }
  try {
    const command = await load();
    return await command(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`governor ${name}: ${error.message}`);
      io.err(`Run \`governor ${name} --help\` for usage.`);
      return EXIT_USAGE;
    }
    io.err(`governor ${name}: ${await describeError(error)}`);
    return EXIT_FAILURE;
  }
}

async function describeError(error: unknown): Promise<string> {
  const { GovernorError } = await import('@governor/core');
  if (GovernorError.isInstance(error)) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
