/**
 * `governor demo`: run the scenario ungoverned, then governed, and report —
 * as text for a person, or as JSON. Every figure of the governed run is read
 * from the ledger (its budgets) or from the authority's answers.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type BudgetInfo, type Ledger, MemoryAuthority } from '@governor/core';
import { HttpLedgerAdmin, httpLedger } from '@governor/http';
import {
  BUDGET_ALIGN,
  BUDGET_HEADERS,
  budgetRows,
  dollars,
  quantity,
  sortBudgets,
  table,
} from '../format.js';
import type { Io } from '../io.js';
import { type OpenLedger, openLedgerFile } from '../ledger.js';
import { openRedis, type RedisLedger } from '../redis.js';
import {
  ALLOWLIST,
  DEFAULT_SCENARIO,
  type DemoLedger,
  type GovernedResult,
  type Outcome,
  type Progress,
  provision,
  type Scenario,
  type UngovernedResult,
  type Via,
} from './scenario.js';

/** One framework's way of building the agent: the scenario run ungoverned, and governed on a ledger. */
interface DemoPath {
  runUngoverned(s: Scenario, onStep?: (p: Progress) => void): Promise<UngovernedResult>;
  runGoverned(s: Scenario, ledger: DemoLedger, onStep?: (p: Progress) => void): Promise<GovernedResult>;
}

/** Loaded on demand: the default (AI SDK) demo never loads LangChain. */
const PATHS: Record<Via, () => Promise<DemoPath>> = {
  'ai-sdk': () => import('./via/ai-sdk.js'),
  langchain: () => import('./via/langchain.js'),
  mcp: () => import('./via/mcp.js'),
};

/** How the report names each ledger. */
const AUTHORITY: Record<DemoReport['authority'], string> = {
  memory: 'embedded MemoryAuthority',
  redis: 'RedisAuthority',
  sqlite: 'SqliteAuthority, a ledger file',
  server: 'HttpAuthority to a Governor server',
};

/** How the report names each path's agent. */
const AGENT: Record<Via, string> = {
  'ai-sdk': 'AI SDK agent',
  langchain: 'LangChain createAgent agent',
  mcp: 'AI SDK agent, tools over MCP',
};

export interface DemoOptions extends Partial<Scenario> {
  /** Run the governed half on RedisAuthority at this URL (a unique key prefix, deleted afterwards). */
  redis?: string | undefined;
  /** The key prefix on Redis; default a unique `governor-demo-<uuid>`. Its keys are deleted afterwards. */
  redisKeyPrefix?: string | undefined;
  /**
   * Run the governed half against a Governor server (governor serve) at this URL, over
   * HttpAuthority: a tenant and an API key are created with `adminKey` for the run.
   */
  server?: string | undefined;
  /** The server's admin key (default GOVERNOR_ADMIN_KEY). */
  adminKey?: string | undefined;
  /** Run the governed half on SqliteAuthority in this new file (refused if it exists), kept afterwards. */
  ledger?: string | undefined;
  json?: boolean;
  /** How the agent is built: AI SDK (default), LangChain createAgent, or AI SDK calling MCP tools. */
  via?: Via | undefined;
}

type Decision = Outcome['decision'];
export interface OutcomeCount {
  outcome: 'gateway DENY' | 'authority DENY' | 'ALLOW_WITH_CAPS' | 'ALLOW';
  modelCalls: number;
  toolCalls: number;
  total: number;
  /** Tool or model names and how often, e.g. { send_email: 1 }. */
  byName: Record<string, number>;
}

export interface DemoReport {
  scenario: Scenario;
  /** The framework the agent was built with. */
  via: Via;
  authority: 'memory' | 'redis' | 'sqlite' | 'server';
  ungoverned: UngovernedResult;
  governed: Omit<GovernedResult, 'outcomes' | 'ledger'> & {
    outcomes: OutcomeCount[];
    /** Every budget of the tenant, as the ledger has it after the run. */
    ledger: BudgetInfo[];
    /** Did deploy_service ever reach the authority? (it must not: the gateway stops it) */
    deployReachedAuthority: boolean;
  };
  durationMs: number;
}

const OUTCOMES: Array<{ outcome: OutcomeCount['outcome']; layer: Outcome['layer']; decision: Decision }> = [
  { outcome: 'gateway DENY', layer: 'gateway', decision: 'DENY' },
  { outcome: 'authority DENY', layer: 'authority', decision: 'DENY' },
  { outcome: 'ALLOW_WITH_CAPS', layer: 'authority', decision: 'ALLOW_WITH_CAPS' },
  { outcome: 'ALLOW', layer: 'authority', decision: 'ALLOW' },
];

export function countOutcomes(outcomes: Outcome[]): OutcomeCount[] {
  return OUTCOMES.map(({ outcome, layer, decision }) => {
    const mine = outcomes.filter((o) => o.layer === layer && o.decision === decision);
    const byName: Record<string, number> = {};
    for (const o of mine) byName[o.name] = (byName[o.name] ?? 0) + 1;
    const modelCalls = mine.filter((o) => o.kind === 'llm.completion').length;
    return { outcome, modelCalls, toolCalls: mine.length - modelCalls, total: mine.length, byName };
  });
}

/** Run the demo and write its report to `io`; resolves with the report. */
export async function runDemo(options: DemoOptions, io: Io): Promise<DemoReport> {
  const scenario: Scenario = { ...DEFAULT_SCENARIO, ...definedOnly(options) };
  const via = options.via ?? 'ai-sdk';
  const path = PATHS[via];
  if (!path) throw new Error(`unknown demo path "${via}"`);
  const { runUngoverned, runGoverned } = await path();
  const started = performance.now();
  const show = io.progress
    ? (p: Progress) =>
        io.progress?.(
          `${p.phase.padEnd(10)}  step ${String(p.step).padStart(4)}  emails sent ${String(p.emails).padStart(4)} of ${p.total}`,
        )
    : undefined;

  const ungoverned = await runUngoverned(scenario, show);

  let ledger: Ledger;
  let redis: RedisLedger | undefined;
  let file: OpenLedger<Ledger> | undefined;
  let remote: { dispose(): Promise<void> } | undefined;
  if (options.server !== undefined) {
    const adminKey = options.adminKey ?? process.env.GOVERNOR_ADMIN_KEY;
    if (!adminKey) throw new Error('demo --server needs the admin key: set GOVERNOR_ADMIN_KEY');
    const admin = new HttpLedgerAdmin({ baseUrl: options.server, adminKey });
    try {
      await admin.createTenant(scenario.tenant, 'governor demo');
      const key = await admin.createApiKey(scenario.tenant, 'demo');
      const http = httpLedger({ baseUrl: options.server, apiKey: key.apiKey, adminKey, timeoutMs: 10_000 });
      ledger = http;
      remote = {
        async dispose() {
          await admin.revokeApiKey(key.keyId).catch(() => undefined);
          await http.dispose();
        },
      };
    } finally {
      await admin.dispose();
    }
  } else if (options.redis !== undefined) {
    redis = await openRedis(options.redis, options.redisKeyPrefix ?? `governor-demo-${randomUUID()}`);
    ledger = redis.authority;
  } else if (options.ledger !== undefined) {
    if (existsSync(options.ledger)) {
      throw new Error(`${options.ledger} exists; the demo provisions a new ledger file, give a new path`);
    }
    file = openLedgerFile(options.ledger, true);
    ledger = file.authority;
  } else {
    ledger = new MemoryAuthority();
  }
  let governed: GovernedResult;
  try {
    await provision(ledger, scenario);
    governed = await runGoverned(scenario, ledger, show);
  } finally {
    await redis?.dispose({ deleteKeys: true });
    await file?.close();
    await remote?.dispose();
  }
  io.clearProgress?.();

  const report: DemoReport = {
    scenario,
    via,
    authority: remote ? 'server' : redis ? 'redis' : file ? 'sqlite' : 'memory',
    ungoverned,
    governed: {
      ...governed,
      outcomes: countOutcomes(governed.outcomes),
      ledger: sortBudgets(governed.ledger),
      deployReachedAuthority: governed.outcomes.some(
        (o) => o.layer === 'authority' && o.name === 'deploy_service',
      ),
    },
    durationMs: Math.round(performance.now() - started),
  };
  if (options.json) io.out(JSON.stringify(report, null, 2));
  else for (const line of renderReport(report)) io.out(line);
  return report;
}

function definedOnly(options: DemoOptions): Partial<Scenario> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options))
    if (
      v !== undefined &&
      !['redis', 'redisKeyPrefix', 'ledger', 'json', 'via', 'server', 'adminKey'].includes(k)
    )
      out[k] = v;
  return out as Partial<Scenario>;
}

const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** The report as lines a person reads at a glance. */
export function renderReport(r: DemoReport): string[] {
  const s = r.scenario;
  const g = r.governed;
  const u = r.ungoverned;
  const run = `tenant:${s.tenant}/workflow:${s.workflow}/run:${s.run}`;
  const lines: string[] = [];
  lines.push(
    `Governor demo: the runaway-email incident (${AGENT[r.via]}, scripted ${s.model}, ${AUTHORITY[r.authority]})`,
    '',
    `A support agent (run ${s.run}) is stuck in a retry loop on the approved send_email tool: ${plural(s.emails, 'attempt')},`,
    `${s.refundEvery > 0 ? `a refund.issue every ${s.refundEvery} emails` : 'no refunds'}, one try at deploy_service. Governed = an allowlist gateway (${ALLOWLIST.join(', ')})`,
    `in front of Governor. Each ${s.workflow} run gets ${dollars(s.runBudget)}, ${s.riskPoints} RISK_POINTS for email (1 per send_email) and`,
    `${s.refundPoints} for billing (25 per refund); at ≥${s.capAtPercent}% of its dollars, maxTokens ${s.capMaxTokens} and ${s.cheaperModel}. Tenant: ${dollars(s.tenantBudget)}.`,
    '',
  );
  const runSpent = g.ledger.find((b) => b.scope === run && b.unit === 'USD_MICROCENTS')?.spent ?? 0;
  lines.push(
    ...table(
      ['', 'ungoverned', 'governed'],
      [
        ['emails sent', String(u.executed.send_email), String(g.executed.send_email)],
        ['refunds issued', String(u.executed['refund.issue']), String(g.executed['refund.issue'])],
        ['deploy_service ran', String(u.executed.deploy_service), String(g.executed.deploy_service)],
        ['model calls', String(u.modelCalls), `${g.modelCalls} (${g.downgraded} on ${s.cheaperModel})`],
        ['model spend', dollars(u.modelCost), dollars(runSpent)],
      ],
      ['left', 'right', 'right'],
    ),
    '',
  );
  const names = (o: OutcomeCount) =>
    Object.entries(o.byName)
      .map(([name, n]) => `${name.replace(/^openai(\.chat)?:/, '')} ×${n}`)
      .join(', ');
  const byOutcome = Object.fromEntries(g.outcomes.map((o) => [o.outcome, o])) as Record<
    OutcomeCount['outcome'],
    OutcomeCount
  >;
  const what: Record<OutcomeCount['outcome'], string> = {
    'gateway DENY': `${names(byOutcome['gateway DENY']) || 'none'}: not on the allowlist, the authority was not asked`,
    'authority DENY': g.lastDenial
      ? `${g.lastDenial.action} #${g.lastDenial.attempt}: ${g.lastDenial.reasonCode} at ${g.lastDenial.scope}`
      : 'none',
    ALLOW_WITH_CAPS:
      g.firstDowngradeAt !== undefined
        ? `model calls #${g.firstDowngradeAt}–${g.modelCalls}: run past ${s.capAtPercent}% of ${dollars(s.runBudget)}, maxTokens ${s.capMaxTokens}, ${s.model} → ${s.cheaperModel}`
        : 'none',
    ALLOW: `${names(byOutcome.ALLOW)}: committed at actual usage`,
  };
  lines.push(
    ...table(
      ['governed outcome', 'model calls', 'tool calls', 'what'],
      g.outcomes.map((o) => [o.outcome, String(o.modelCalls), String(o.toolCalls), what[o.outcome]]),
      ['left', 'right', 'right', 'left'],
    ),
    '',
    `The ledger after the governed run (${r.authority}):`,
    ...table(BUDGET_HEADERS, budgetRows(g.ledger), BUDGET_ALIGN),
    '',
  );
  const d = g.lastDenial;
  if (d) {
    const budget = g.ledger.find((b) => b.scope === d.scope && b.unit === d.unit);
    const figures = budget
      ? ` (${quantity(budget.unit, budget.spent)} of ${quantity(budget.unit, budget.allocated)} spent, ${quantity(budget.unit, budget.remaining)} left)`
      : '';
    const which = `${d.action.replace(/^openai(\.chat)?:/, '')} ${d.action.startsWith('openai') ? 'call ' : ''}#${d.attempt}`;
    lines.push(
      d.by === 'loop guard'
        ? `Why the run stopped: budgetExhausted asked before ${which} and the authority said DENY (${d.reasonCode}): ${d.reason}${figures}.`
        : `Why the last denial: ${which} was denied (${d.reasonCode}) because ${d.reason}${figures}.`,
      d.scope === `${run}/toolset:email`
        ? `Nothing was unauthorized — send_email is approved; the run's exposure was bounded. The agent read the denial and stopped:`
        : 'The agent stopped:',
      `  "${g.answer}"`,
    );
  } else {
    lines.push(`No denial: the run stayed within its budgets. The agent answered: "${g.answer}"`);
  }
  lines.push('', `(${r.durationMs} ms)`);
  return lines;
}
