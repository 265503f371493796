import { createRequire } from 'node:module';

/** This package's version (the same file from src/ and dist/). */
export const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string })
  .version;

/** The help text, written once: `governor-mcp-proxy --help` and `governor mcp-proxy --help` print it. */
export const usage = (name = 'governor-mcp-proxy') => `Usage: ${name} [options] -- <command> [args...]
       ${name} [options] --url <streamable-http-url>

An enforcing MCP proxy: every tools/call of the upstream MCP server is reserved,
committed or denied in RISK_POINTS by Governor. Everything after -- is the
upstream's command line (its own --help included).

Subject and budgets (flags, or the environment):
  --tenant <id>              GOVERNOR_TENANT    default "default"
  --workflow <id>            GOVERNOR_WORKFLOW
  --agent <id>               GOVERNOR_AGENT
  --budgets <file>           GOVERNOR_BUDGETS   policy file (.json/.yaml): budgets, templates, degradation, riskPoints, approvals
  --redis <url>              GOVERNOR_REDIS     a shared, durable ledger on Redis (default: in memory, lost at exit)
  --redis-prefix <prefix>                       key prefix on Redis; default "governor"
  --ledger <file>            GOVERNOR_LEDGER    a durable SQLite ledger file on this machine (created if missing)
Runs (what a session's calls are charged to):
  --run <id>                 GOVERNOR_RUN       one fixed run for every session (survives restarts with --redis)
  --run-per session|process                     a new run per MCP session (default) or one per proxy process
  --run-header <name>                           over HTTP: the run is this request header of the initialize
Upstream:
  --url <url>                                   an upstream over Streamable HTTP instead of a command
  --env K=V                                     set for the upstream command (repeatable; it gets our environment)
  --timeout-ms <ms>                             per upstream request, reset by progress; default 60000
  --on-upstream-exit restart|exit               restart a crashed upstream with backoff (default), or exit 1
Approvals (calls the policy file's approvals pause):
  --approvals elicit|message                    ask the host's user by elicitation (default, when it can), or only
                                                answer that the call waits for an operator (governor approvals approve)
Serving over Streamable HTTP (instead of stdio):
  --http <port>              GOVERNOR_HTTP      serve http://<host>:<port>/mcp (0: any free port)
  --host <addr>              GOVERNOR_HOST      the interface to bind; default 127.0.0.1
  --idle-timeout-ms <ms>                        close a session idle this long; default 1800000 (30 min)
  --max-sessions <n>                            open sessions at most (the longest idle is closed first); default 100
  --max-body-bytes <n>                          largest request body (413 above); default 4194304
  --allowed-host <host>                         also accept this Host header (repeatable)
  --allowed-origin <origin>                     also accept this Origin (repeatable; loopback origins always)
  --auth-token <token>       GOVERNOR_AUTH_TOKEN  require "Authorization: Bearer <token>" (tenant: --tenant)
  --auth-tokens <file>                          a JSON file {"<token>": "<tenant>", ...}: each token spends its tenant's budgets
Logs:
  --audit-log <file>                            every decision as a JSON line to this file (default stderr)
  --help, --version

Exit codes: 0 ok, 1 the proxy failed (or its upstream exited, with --on-upstream-exit exit), 2 wrong usage.`;
