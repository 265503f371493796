import { randomUUID } from 'node:crypto';
import {
  createGovernor,
  deriveScopes,
  type Governor,
  type GovernorPolicy,
  InvalidRequestError,
  loadPolicyFile,
  type Subject,
} from '@governor/core';
import { type ProxyConfig, parseProxyArgs, UsageError } from './args.js';
import { auditLog } from './audit.js';
import { applyBudgets, type Ledger, openLedger } from './ledger.js';
import { serveHttp } from './serve-http.js';
import { serveStdio } from './serve-stdio.js';
import { usage, VERSION } from './usage.js';

export interface ProxyIo {
  /** How the command is called, in messages and help; default `governor-mcp-proxy`. */
  name?: string;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/** What both transports need: the config, a log line writer, a governor per tenant, and how to stop. */
export interface Running {
  config: ProxyConfig;
  ledger: Ledger;
  log: (message: string) => void;
  governorFor: (tenant?: string) => Governor;
  logBalances: (subject: Subject, runId: string) => Promise<void>;
  /** Flush the audit log and close the ledger. */
  shutdown: () => Promise<void>;
}

async function readPolicy(path: string): Promise<GovernorPolicy> {
  try {
    return await loadPolicyFile(path);
  } catch (error) {
    if (error instanceof InvalidRequestError || (error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError(`--budgets: ${(error as Error).message}`);
    }
    throw error;
  }
}

async function prepare(config: ProxyConfig, log: (m: string) => void): Promise<Running> {
  const policy = config.budgets ? await readPolicy(config.budgets) : undefined;
  const ledger = await openLedger(config);
  if (policy) await applyBudgets(ledger.authority, policy);
  else if (!ledger.durable || (await ledger.authority.listTemplates()).length === 0) {
    log(
      'warning: no --budgets given and the ledger has no budget templates: tool calls that cost risk points will be denied (no budget applies)',
    );
  }
  const audit = auditLog(ledger.authority, config.auditLog);
  const governors = new Map<string, Governor>();
  const governorFor = (tenant = config.subject.tenant) => {
    let governor = governors.get(tenant);
    if (!governor) {
      governor = createGovernor({
        authority: ledger.authority,
        admin: ledger.authority,
        subject: { ...config.subject, tenant },
        ...(policy?.riskPoints ? { riskPoints: policy.riskPoints } : {}),
        ...(policy?.loopBreaker !== undefined ? { loopBreaker: policy.loopBreaker } : {}),
        ...(policy?.approvals ? { approvals: policy.approvals } : {}),
        on: audit.on,
      });
      governors.set(tenant, governor);
    }
    return governor;
  };
  const logBalances = async (subject: Subject, runId: string) => {
    const scopes = deriveScopes({ ...subject, run: runId });
    const found = await Promise.all(
      scopes.map((scope) => ledger.authority.getBudget({ scope, unit: 'RISK_POINTS' })),
    );
    const balances = found.flatMap((b) =>
      b
        ? [
            {
              scope: b.scope,
              allocated: { unit: b.unit, amount: b.allocated },
              spent: { unit: b.unit, amount: b.spent },
              reserved: { unit: b.unit, amount: b.reserved },
              remaining: { unit: b.unit, amount: b.remaining },
            },
          ]
        : [],
    );
    log(`balances ${JSON.stringify(balances)}`);
  };
  return {
    config,
    ledger,
    log,
    governorFor,
    logBalances,
    shutdown: async () => {
      await audit.flush();
      await ledger.close();
    },
  };
}

/**
 * The `governor-mcp-proxy` command. Resolves with its exit code once the
 * proxy has stopped: 0 when the host ends the session (or a signal stops it),
 * 1 when it fails (or its upstream exits, with `--on-upstream-exit exit`), 2
 * on wrong usage. `--help` and `--version` print and resolve 0.
 */
export async function main(argv: string[], io: ProxyIo = {}): Promise<number> {
  const name = io.name ?? 'governor-mcp-proxy';
  const out = io.out ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const err = io.err ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const log = (message: string) => err(`${name}: ${message}`);
  try {
    const config = parseProxyArgs(argv);
    if (config.help) {
      out(usage(name));
      return 0;
    }
    if (config.version) {
      out(VERSION);
      return 0;
    }
    const running = await prepare(config, log);
    return await (config.http ? serveHttp(running, config.http) : serveStdio(running, randomUUID()));
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    if (error instanceof UsageError) {
      err(`Run \`${name} --help\` for usage.`);
      return 2;
    }
    return 1;
  }
}
