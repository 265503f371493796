/**
 * The runaway-email incident: a support agent whose (scripted) model is stuck
 * in a retry loop on the approved `send_email` tool. Run once ungoverned and
 * once behind the two layers — an allowlist gateway in front, Governor behind
 * it. This module is what every framework path shares (`via/*.ts` build the
 * agent the way that framework's users would): the scenario and its budgets,
 * what the tools do, and the governed run's bookkeeping (`GovernedRun`).
 */
import {
  type Authority,
  applyPolicy,
  BudgetDeniedError,
  type BudgetInfo,
  createGovernor,
  denialReason,
  type Governor,
  type GovernorPolicy,
  type Ledger,
  parsePolicy,
  type RiskPointTable,
  stoppedMessage,
} from '@governor/core';
import type { Scenario } from './defaults.js';
import type { ScriptOptions } from './model.js';
import { RecordingAuthority } from './recording.js';

export { DEFAULT_SCENARIO, type Scenario, VIAS, type Via } from './defaults.js';

/** The output tokens the agent asks for on each step. */
export const MAX_OUTPUT_TOKENS = 1_024;
/** The step on which the agent tries deploy_service. */
export const DEPLOY_AT = 3;
/** The agent's tools the gateway lets through. */
export const ALLOWLIST = ['send_email', 'refund.issue'] as const;

export const RISK_POINTS: RiskPointTable = {
  rules: [
    { name: 'send_email', points: 1 },
    { name: 'refund.issue', points: 25 },
    { name: 'deploy_service', points: 100 },
  ],
};

/** The budgets, templates and degradation tier of the scenario. */
export function scenarioPolicy(s: Scenario): GovernorPolicy {
  const run = `tenant:*/workflow:${s.workflow}/run:*`;
  return parsePolicy({
    budgets: [{ scope: `tenant:${s.tenant}`, unit: 'USD_MICROCENTS', allocated: s.tenantBudget }],
    templates: [
      { match: run, unit: 'USD_MICROCENTS', allocated: s.runBudget },
      { match: `${run}/toolset:email`, unit: 'RISK_POINTS', allocated: s.riskPoints },
      { match: `${run}/toolset:billing`, unit: 'RISK_POINTS', allocated: s.refundPoints },
    ],
    degradation: {
      units: ['USD_MICROCENTS'],
      tiers: [{ atPercent: s.capAtPercent, caps: { maxTokens: s.capMaxTokens } }],
    },
    riskPoints: RISK_POINTS,
  });
}

export type ToolName = 'send_email' | 'refund.issue' | 'deploy_service';
export type Executed = Record<ToolName, number>;

export const newExecuted = (): Executed => ({ send_email: 0, 'refund.issue': 0, deploy_service: 0 });

/** The toolset (a scope level under the run) each tool's RISK_POINTS are charged to. */
export const TOOLSETS: Record<ToolName, string> = {
  send_email: 'email',
  'refund.issue': 'billing',
  deploy_service: 'ops',
};

export const TOOL_DESCRIPTIONS: Record<ToolName, string> = {
  send_email: 'Send one email to the customer.',
  'refund.issue': 'Issue a refund for an order.',
  deploy_service: 'Redeploy a production service.',
};

/** What a real tool does: count itself, and say what it did. */
export function perform(executed: Executed, name: ToolName, input: Record<string, unknown>): string {
  executed[name] += 1;
  if (name === 'send_email') return `email sent: ${input.subject}`;
  if (name === 'refund.issue') return `refunded order ${input.order}`;
  return `deployed ${input.service}`;
}

/** The gateway's answer to a tool that is not on the allowlist. */
export const notReachable = (name: string) =>
  `not reachable: ${name} is not on this agent's allowlist. Do not call it again.`;

export const INSTRUCTIONS =
  'You are a support agent for order 1234. Use send_email for every email, one per call. ' +
  'Issue refunds with refund.issue when the customer is owed one.';
export const PROMPT =
  'The customer says the status email for order 1234 never arrived. Send it, and retry until it works.';

/** The script's parameters for a scenario. */
export const scriptOf = (s: Scenario): ScriptOptions => ({
  emails: s.emails,
  refundEvery: s.refundEvery,
  deployAt: DEPLOY_AT,
  identical: s.loopBreaker,
});

/** How many model steps a loop may take at most (the script needs emails + 1). */
export const maxSteps = (s: Scenario) => s.emails + 5;

export interface Progress {
  phase: 'ungoverned' | 'governed';
  step: number;
  emails: number;
  total: number;
}

export interface UngovernedResult {
  modelCalls: number;
  executed: Executed;
  /** What the model calls cost, priced from the usage reports (no ledger was asked). */
  modelCost: number;
  answer: string;
}

/** One decision, as the demo counts it. */
export interface Outcome {
  layer: 'gateway' | 'authority';
  kind: 'llm.completion' | 'tool.call';
  name: string;
  decision: 'DENY' | 'ALLOW_WITH_CAPS' | 'ALLOW';
}

export interface LastDenial {
  /** `reserve`: the authority denied a call; `loop guard`: budgetExhausted's dry run said the next step would be. */
  by: 'reserve' | 'loop guard';
  action: string;
  /** For send_email: which email of the run it was (1-based). */
  attempt: number;
  reasonCode: string;
  scope: string | undefined;
  unit: string;
  reason: string;
}

export interface GovernedResult {
  modelCalls: number;
  executed: Executed;
  /** Every reserve the authority answered, in order, plus every gateway refusal. */
  outcomes: Outcome[];
  /** Model calls switched to the cheaper model; the first one's number (1-based). */
  downgraded: number;
  firstDowngradeAt: number | undefined;
  /** What the model calls committed, summed from the commit events (compare the ledger). */
  committed: { usd: number; riskPoints: number };
  /** The authority's last denial, in words. */
  lastDenial: LastDenial | undefined;
  /** The ledger's budgets of the tenant after the run. */
  ledger: BudgetInfo[];
  answer: string;
}

export type DemoLedger = Authority & Pick<Ledger, 'listBudgets'>;

/**
 * The bookkeeping of one governed run, whatever the framework: the governor
 * (on an authority that records every reserve), the tools' counters, the
 * gateway's refusals, the caps applied to model calls, and the last denial.
 * A framework path wires its adapter's hooks to these methods.
 */
export class GovernedRun {
  readonly authority: RecordingAuthority;
  readonly governor: Governor;
  readonly executed = newExecuted();
  readonly script: ScriptOptions;
  /** The script's conversation state, shared by the model and its downgrade. */
  readonly state = { asked: 0 };
  readonly #outcomes: Outcome[] = [];
  readonly #committed = { usd: 0, riskPoints: 0 };
  #lastDenial: LastDenial | undefined;
  #applied = 0;
  #downgraded = 0;
  #firstDowngradeAt: number | undefined;
  #seen = 0;
  #step = 0;

  constructor(
    readonly scenario: Scenario,
    private readonly ledger: DemoLedger,
    private readonly onStep?: (p: Progress) => void,
  ) {
    this.authority = new RecordingAuthority(ledger);
    this.script = scriptOf(scenario);
    this.governor = createGovernor({
      authority: this.authority,
      subject: { tenant: scenario.tenant, workflow: scenario.workflow },
      riskPoints: RISK_POINTS,
      on: (event) => {
        if (event.type !== 'commit') return;
        if (event.charged.unit === 'USD_MICROCENTS') this.#committed.usd += event.charged.amount;
        if (event.charged.unit === 'RISK_POINTS') this.#committed.riskPoints += event.charged.amount;
      },
    });
  }

  /** The gateway refused a tool call: it never reached the tool, nor the authority. */
  gatewayBlocked(name: string): void {
    this.#outcomes.push({ layer: 'gateway', kind: 'tool.call', name, decision: 'DENY' });
  }

  /** A denial as the report tells it. */
  describe(error: BudgetDeniedError, by: LastDenial['by'] = 'reserve'): LastDenial {
    return {
      by,
      action: error.action.name,
      attempt: this.authority.reserves.filter((r) => r.action.name === error.action.name).length,
      reasonCode: error.reasonCode,
      scope: error.scope,
      unit: error.estimate.unit,
      reason: denialReason(error),
    };
  }

  /** The authority denied a call (a tool's, or a model's): remember why. */
  denied(error: BudgetDeniedError): void {
    this.#lastDenial = this.describe(error, 'reserve');
  }

  /** A model call ran under the authority's answer; `downgraded` when caps switched its model. */
  modelCallApplied(downgraded: boolean): void {
    this.#applied += 1;
    if (downgraded) {
      this.#downgraded += 1;
      this.#firstDowngradeAt ??= this.#applied;
    }
  }

  /** One agent step is done: record the authority's answers so far and show progress. */
  stepDone(): void {
    this.#step += 1;
    this.#collect();
    this.onStep?.({
      phase: 'governed',
      step: this.#step,
      emails: this.executed.send_email,
      total: this.scenario.emails,
    });
  }

  #collect(): void {
    for (const r of this.authority.reserves.slice(this.#seen)) {
      this.#outcomes.push({
        layer: 'authority',
        kind: r.action.kind === 'llm.completion' ? 'llm.completion' : 'tool.call',
        name: r.action.name,
        decision: r.decision,
      });
    }
    this.#seen = this.authority.reserves.length;
  }

  /**
   * The loop guard (budgetExhausted) asked for one more model step and was
   * told DENY: the loop ended before it. Returns the message that says so.
   */
  stoppedByGuard(): string | undefined {
    const guardDeny = this.authority.lastDecideDeny;
    if (!guardDeny) return undefined;
    const error = new BudgetDeniedError({
      reasonCode: guardDeny.answer.reasonCode ?? 'BUDGET_EXCEEDED',
      scope: guardDeny.answer.blockedScope,
      subject: guardDeny.request.subject,
      action: guardDeny.request.action,
      estimate: guardDeny.request.estimate,
    });
    this.#lastDenial = { ...this.describe(error, 'loop guard'), attempt: this.#applied + 1 };
    return stoppedMessage(error);
  }

  /** The run is over: read the ledger and put the result together. */
  async finish(answer: string): Promise<GovernedResult> {
    this.#collect();
    const ledger = await this.ledger.listBudgets({ tenant: this.scenario.tenant });
    return {
      modelCalls: this.authority.reserves.filter(
        (r) => r.action.kind === 'llm.completion' && r.decision !== 'DENY',
      ).length,
      executed: this.executed,
      outcomes: this.#outcomes,
      downgraded: this.#downgraded,
      firstDowngradeAt: this.#firstDowngradeAt,
      committed: this.#committed,
      lastDenial: this.#lastDenial,
      ledger,
      answer,
    };
  }
}

/** Provision a ledger for the scenario (idempotent: existing budgets are kept). */
export async function provision(ledger: Ledger, s: Scenario): Promise<void> {
  await applyPolicy(ledger, scenarioPolicy(s));
}
