/**
 * The runaway-email incident, replayed with the AI SDK: a support agent whose
 * (scripted) model is stuck in a retry loop on the approved `send_email`
 * tool. Run once ungoverned and once behind the two layers — an allowlist
 * gateway in front, Governor behind it.
 */
import { budgetExhausted, governModel, governTools } from '@governor/ai-sdk';
import {
  type Authority,
  applyPolicy,
  BudgetDeniedError,
  type BudgetInfo,
  createGovernor,
  createPricing,
  denialReason,
  deniedToolMessage,
  type GovernorPolicy,
  type Ledger,
  parsePolicy,
  type RiskPointTable,
  stoppedMessage,
  USD,
} from '@governor/core';
import { generateText, jsonSchema, type ModelMessage, stepCountIs, type ToolSet, tool } from 'ai';
import { scriptedModel } from './model.js';
import { RecordingAuthority } from './recording.js';

export interface Scenario {
  /** Emails the stuck agent tries to send (the ungoverned run sends them all). */
  emails: number;
  /** The run's dollar budget, in USD_MICROCENTS. */
  runBudget: number;
  /** The tenant's dollar budget, in USD_MICROCENTS. */
  tenantBudget: number;
  /** The run's RISK_POINTS for the email toolset (send_email costs 1). */
  riskPoints: number;
  /** The run's RISK_POINTS for the billing toolset (refund.issue costs 25). */
  refundPoints: number;
  /** A refund every this many emails (0: none). */
  refundEvery: number;
  /** Percent of a dollar budget at which model calls are capped and downgraded. */
  capAtPercent: number;
  /** The output-token cap from then on. */
  capMaxTokens: number;
  tenant: string;
  workflow: string;
  run: string;
  /** The model the agent asks for, and the cheaper one it is switched to under caps. */
  model: string;
  cheaperModel: string;
}

export const DEFAULT_SCENARIO: Scenario = {
  emails: 400,
  runBudget: 1 * USD,
  tenantBudget: 50 * USD,
  riskPoints: 200,
  refundPoints: 100,
  refundEvery: 50,
  capAtPercent: 80,
  capMaxTokens: 256,
  tenant: 'acme',
  workflow: 'support',
  run: '4821',
  model: 'gpt-4o',
  cheaperModel: 'gpt-4o-mini',
};

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
type Executed = Record<ToolName, number>;

/** The agent's real tools: they only count what they did. */
function agentTools(executed: Executed) {
  const counted = (name: ToolName, description: string, done: (input: Record<string, unknown>) => string) =>
    tool({
      description,
      inputSchema: jsonSchema<Record<string, unknown>>({ type: 'object', additionalProperties: true }),
      execute: async (input) => {
        executed[name] += 1;
        return done(input);
      },
    });
  return {
    send_email: counted('send_email', 'Send one email to the customer.', (i) => `email sent: ${i.subject}`),
    'refund.issue': counted(
      'refund.issue',
      'Issue a refund for an order.',
      (i) => `refunded order ${i.order}`,
    ),
    deploy_service: counted(
      'deploy_service',
      'Redeploy a production service.',
      (i) => `deployed ${i.service}`,
    ),
  };
}

/**
 * The gateway layer: tools not on the allowlist are not reachable. Their
 * calls are answered here and never reach the tool, nor the authority.
 */
export function allowlistGateway<T extends ToolSet>(
  tools: T,
  allowlist: readonly string[],
  onBlocked: (toolName: string) => void,
): T {
  const out: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(tools)) {
    out[name] = allowlist.includes(name)
      ? t
      : {
          ...t,
          execute: async () => {
            onBlocked(name);
            return `not reachable: ${name} is not on this agent's allowlist. Do not call it again.`;
          },
        };
  }
  return out as T;
}

/** Keep the first message (the task) and the last two steps: the agent's context stays bounded. */
function trim(messages: ModelMessage[]): ModelMessage[] {
  return messages.length <= 5 ? messages : [messages[0] as ModelMessage, ...messages.slice(-4)];
}

const INSTRUCTIONS =
  'You are a support agent for order 1234. Use send_email for every email, one per call. ' +
  'Issue refunds with refund.issue when the customer is owed one.';
const PROMPT =
  'The customer says the status email for order 1234 never arrived. Send it, and retry until it works.';

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

/** The stuck agent with nothing in its way. */
export async function runUngoverned(s: Scenario, onStep?: (p: Progress) => void): Promise<UngovernedResult> {
  const executed: Executed = { send_email: 0, 'refund.issue': 0, deploy_service: 0 };
  const state = { asked: 0 };
  const script = { emails: s.emails, refundEvery: s.refundEvery, deployAt: DEPLOY_AT };
  const pricing = createPricing();
  let modelCost = 0;
  let step = 0;
  const result = await generateText({
    model: scriptedModel(s.model, script, state),
    tools: agentTools(executed),
    instructions: INSTRUCTIONS,
    prompt: PROMPT,
    maxOutputTokens: MAX_OUTPUT_TOKENS,
    maxRetries: 0,
    toolCallConcurrency: 1,
    prepareStep: ({ messages }) => ({ messages: trim(messages) }),
    stopWhen: stepCountIs(s.emails + 5),
    onStepFinish: (stepResult) => {
      step += 1;
      modelCost += pricing.cost(
        { provider: 'openai', modelId: stepResult.model.modelId },
        {
          inputTokens: stepResult.usage.inputTokens ?? 0,
          outputTokens: stepResult.usage.outputTokens ?? 0,
        },
      );
      onStep?.({ phase: 'ungoverned', step, emails: executed.send_email, total: s.emails });
    },
  });
  return { modelCalls: result.steps.length, executed, modelCost, answer: result.text };
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

/** The same agent behind the gateway (allowlist) and Governor (the ledger). */
export async function runGoverned(
  s: Scenario,
  ledger: Authority & Pick<Ledger, 'listBudgets'>,
  onStep?: (p: Progress) => void,
): Promise<GovernedResult> {
  const authority = new RecordingAuthority(ledger);
  const outcomes: Outcome[] = [];
  const committed = { usd: 0, riskPoints: 0 };
  const governor = createGovernor({
    authority,
    subject: { tenant: s.tenant, workflow: s.workflow },
    riskPoints: RISK_POINTS,
    on: (event) => {
      if (event.type !== 'commit') return;
      if (event.charged.unit === 'USD_MICROCENTS') committed.usd += event.charged.amount;
      if (event.charged.unit === 'RISK_POINTS') committed.riskPoints += event.charged.amount;
    },
  });
  const executed: Executed = { send_email: 0, 'refund.issue': 0, deploy_service: 0 };
  const state = { asked: 0 };
  const script = { emails: s.emails, refundEvery: s.refundEvery, deployAt: DEPLOY_AT };
  let lastDenial: LastDenial | undefined;
  let modelCalls = 0;
  let downgraded = 0;
  let firstDowngradeAt: number | undefined;

  const describe = (error: BudgetDeniedError, by: LastDenial['by']): LastDenial => ({
    by,
    action: error.action.name,
    attempt: authority.reserves.filter((r) => r.action.name === error.action.name).length,
    reasonCode: error.reasonCode,
    scope: error.scope,
    unit: error.estimate.unit,
    reason: denialReason(error),
  });
  const denied = (error: BudgetDeniedError, toolName: string) => {
    lastDenial = describe(error, 'reserve');
    return deniedToolMessage(error, toolName);
  };
  const guard = budgetExhausted({ governor });
  let guardStopped = false;
  const raw = agentTools(executed);
  const behindGateway = {
    ...governTools(
      { send_email: raw.send_email },
      { governor, subject: { toolset: 'email' }, deniedResult: denied },
    ),
    ...governTools(
      { 'refund.issue': raw['refund.issue'] },
      { governor, subject: { toolset: 'billing' }, deniedResult: denied },
    ),
    ...governTools(
      { deploy_service: raw.deploy_service },
      { governor, subject: { toolset: 'ops' }, deniedResult: denied },
    ),
  };
  const gatewayBlocked: string[] = [];
  const tools = allowlistGateway(behindGateway, ALLOWLIST, (name) => {
    gatewayBlocked.push(name);
    outcomes.push({ layer: 'gateway', kind: 'tool.call', name, decision: 'DENY' });
  });

  const model = governModel(scriptedModel(s.model, script, state), {
    governor,
    downgrade: scriptedModel(s.cheaperModel, script, state),
    onApplied: (applied) => {
      modelCalls += 1;
      if (applied.downgradedTo) {
        downgraded += 1;
        firstDowngradeAt ??= modelCalls;
      }
    },
  });

  let answer = '';
  let step = 0;
  let seen = 0;
  const collect = () => {
    for (const r of authority.reserves.slice(seen)) {
      outcomes.push({
        layer: 'authority',
        kind: r.action.kind === 'llm.completion' ? 'llm.completion' : 'tool.call',
        name: r.action.name,
        decision: r.decision,
      });
    }
    seen = authority.reserves.length;
  };
  try {
    const result = await governor.withRun(s.run, () =>
      generateText({
        model,
        tools,
        instructions: INSTRUCTIONS,
        prompt: PROMPT,
        maxOutputTokens: MAX_OUTPUT_TOKENS,
        maxRetries: 0,
        toolCallConcurrency: 1,
        prepareStep: ({ messages }) => ({ messages: trim(messages) }),
        stopWhen: [
          async (options) => {
            guardStopped = await guard(options);
            return guardStopped;
          },
          stepCountIs(s.emails + 5),
        ],
        onStepFinish: () => {
          step += 1;
          collect();
          onStep?.({ phase: 'governed', step, emails: executed.send_email, total: s.emails });
        },
      }),
    );
    answer = result.text;
  } catch (error) {
    if (!(error instanceof BudgetDeniedError)) throw error;
    // The model call itself was denied (the run's or tenant's dollars): the loop ends here.
    lastDenial = describe(error, 'reserve');
    answer = stoppedMessage(error);
  }
  const guardDeny = authority.lastDecideDeny;
  if (guardStopped && guardDeny) {
    // The loop guard (budgetExhausted) asked for one more model step and was told DENY: the loop ended before it.
    const error = new BudgetDeniedError({
      reasonCode: guardDeny.answer.reasonCode ?? 'BUDGET_EXCEEDED',
      scope: guardDeny.answer.blockedScope,
      subject: guardDeny.request.subject,
      action: guardDeny.request.action,
      estimate: guardDeny.request.estimate,
    });
    lastDenial = { ...describe(error, 'loop guard'), attempt: modelCalls + 1 };
    answer ||= stoppedMessage(error);
  }
  collect();
  // Gateway refusals were pushed as they happened; keep authority records in their own order after them.
  const ledgerBudgets = await ledger.listBudgets({ tenant: s.tenant });
  return {
    modelCalls: authority.reserves.filter((r) => r.action.kind === 'llm.completion' && r.decision !== 'DENY')
      .length,
    executed,
    outcomes,
    downgraded,
    firstDowngradeAt,
    committed,
    lastDenial,
    ledger: ledgerBudgets,
    answer,
  };
}

/** Provision a ledger for the scenario (idempotent: existing budgets are kept). */
export async function provision(ledger: Ledger, s: Scenario): Promise<void> {
  await applyPolicy(ledger, scenarioPolicy(s));
}
