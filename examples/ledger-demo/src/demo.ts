/**
 * The runaway-email incident, in miniature, against the embedded ledger.
 *
 * An agent on run 4821 of acme's support workflow is stuck in a loop: model
 * call, send_email, model call, send_email… Every call asks MemoryAuthority
 * first (reserve), and settles afterwards (commit). The dollar budget of the
 * run degrades the model calls; the run's RISK_POINTS stop the emails.
 *
 * Estimates and actuals are scripted here; in the adapters the estimate comes
 * from the price database and the actual from the provider's usage report.
 * Everything printed is read from the ledger's responses.
 */
import {
  type Action,
  type Amount,
  applyPolicy,
  type Caps,
  type Decision,
  InvalidRequestError,
  isToolAllowed,
  ManualClock,
  MemoryAuthority,
  mergeCaps,
  parsePolicy,
  parseUsd,
  type ReservationCreateResponse,
  riskPointsFor,
  type Subject,
} from '@governor/core';
import { amountText, capsText, quantity, remainingText, Table } from './format.js';

const TENANT_SCOPE = 'tenant:acme';
const RUN_SCOPE = 'tenant:acme/workflow:support/run:4821';
const SUBJECT: Subject = { tenant: 'acme', workflow: 'support', run: '4821' };

const POLICY = parsePolicy({
  budgets: [{ scope: TENANT_SCOPE, unit: 'USD_MICROCENTS', allocated: '$50' }],
  templates: [
    { match: 'tenant:*/workflow:support/run:*', unit: 'USD_MICROCENTS', allocated: '$2' },
    { match: 'tenant:*/workflow:support/run:*', unit: 'RISK_POINTS', allocated: 5 },
  ],
  // Dollars degrade softly; risk points are a hard stop, so the tiers watch dollars only.
  degradation: {
    units: ['USD_MICROCENTS'],
    tiers: [
      { atPercent: 80, caps: { maxTokens: 256 } },
      { atPercent: 95, caps: { toolDenylist: ['send_email'] } },
    ],
  },
  riskPoints: {
    rules: [
      { name: 'send_email', points: 1 },
      { name: 'refund.issue', points: 25 },
      { name: 'deploy_service', points: 100 },
    ],
  },
});

const MODEL_ACTION: Action = { kind: 'llm.completion', name: 'openai:gpt-4o' };
const EMAIL_ACTION: Action = { kind: 'tool.call', name: 'send_email' };

/** The scripted cost of one model call of the loop (a long prompt, up to 1,024 output tokens). */
const MODEL_COST = {
  estimate: usd('0.36'),
  actual: usd('0.32'),
  /** Under a maxTokens cap the agent asks for less, and the call costs less (short answer, cheaper model). */
  estimateUnderCaps: usd('0.08'),
  actualUnderCaps: usd('0.06'),
};

/** How long each kind of call takes on the ledger's (manual) clock. */
const MODEL_CALL_MS = 2_000;
const EMAIL_CALL_MS = 400;
const MAX_STEPS = 100;

export interface StepOutcome {
  step: number;
  action: Action;
  estimate: Amount;
  decision: Decision;
  caps?: Caps;
  reasonCode?: string;
  blockedScope?: string;
  /** What was committed (undefined on DENY). */
  committed?: Amount;
}

export interface DemoResult {
  ledger: MemoryAuthority;
  runScope: string;
  steps: StepOutcome[];
}

type Log = (line: string) => void;

function usd(text: string): Amount {
  return { unit: 'USD_MICROCENTS', amount: parseUsd(text) };
}

/** Run the scripted incident against a fresh ledger, printing through `log`. */
export async function runDemo(log: Log): Promise<DemoResult> {
  const clock = new ManualClock();
  const ledger = new MemoryAuthority({ clock });
  await applyPolicy(ledger, POLICY);

  log('Governor ledger demo: a runaway send_email loop on run 4821, in miniature');
  log('');
  await printSetup(ledger, log);
  const steps = await runAgentLoop(ledger, clock, log);
  log('');
  await dryRunNextModelCall(ledger, log);
  await showInvalidRequest(ledger, log);
  log('');
  await printFinalBudgets(ledger, log);
  return { ledger, runScope: RUN_SCOPE, steps };
}

async function printSetup(ledger: MemoryAuthority, log: Log): Promise<void> {
  for (const b of await ledger.listBudgets()) {
    log(`budget    ${b.scope} ${b.unit}: ${quantity(b.unit, b.allocated)}`);
  }
  for (const t of await ledger.listTemplates()) {
    log(`template  ${t.match} ${t.unit}: ${quantity(t.unit, t.allocated)} (materialises on first use)`);
  }
  const degradation = await ledger.getDegradationPolicy();
  for (const tier of degradation?.tiers ?? []) {
    log(
      `degrade   at ≥${tier.atPercent}% of ${degradation?.units?.join(', ') ?? 'any unit'}: ${capsText(tier.caps)}`,
    );
  }
  log(`risk      send_email costs ${riskPointsFor(POLICY.riskPoints, EMAIL_ACTION)} pt`);
  log('');
}

const TABLE_COLUMNS = [
  { title: '#', width: 2, align: 'right' as const },
  { title: 'call', width: 29 },
  { title: 'ask', width: 6, align: 'right' as const },
  { title: 'decision', width: 15 },
  { title: 'charged', width: 7, align: 'right' as const },
  { title: 'run $', width: 6, align: 'right' as const },
  { title: 'run pt', width: 6, align: 'right' as const },
  { title: 'tenant $', width: 8, align: 'right' as const },
  { title: 'caps / reason', width: 0 },
];

/**
 * The runaway agent: model call, then send_email, again and again. It keeps to
 * the caps it is given (a smaller answer under maxTokens, no send_email under
 * a denylist) but not to the denials of its emails: it just retries. It stops
 * when the run's budget denies.
 */
async function runAgentLoop(ledger: MemoryAuthority, clock: ManualClock, log: Log): Promise<StepOutcome[]> {
  const table = new Table(TABLE_COLUMNS, log);
  table.header();
  const steps: StepOutcome[] = [];
  const record = async (outcome: StepOutcome) => {
    steps.push(outcome);
    await printStep(ledger, table, outcome);
    return outcome;
  };

  let caps: Caps | undefined; // the tightest caps so far: the agent keeps to them from then on
  while (steps.length < MAX_STEPS) {
    const model = await record(await modelCall(ledger, clock, steps.length + 1, caps));
    if (model.decision === 'DENY') break;
    caps = mergeCaps(caps, model.caps);
    if (!isToolAllowed(caps, EMAIL_ACTION.name)) continue;
    const email = await record(await emailCall(ledger, clock, steps.length + 1));
    if (email.decision === 'DENY' && email.blockedScope === RUN_SCOPE) break;
  }
  const last = steps[steps.length - 1];
  log('');
  log(
    `run 4821 stopped at step ${last?.step}: ${last?.action.name} ${last?.decision} ${last?.reasonCode} at ${last?.blockedScope}`,
  );
  return steps;
}

function emailCost(): Amount {
  return { unit: 'RISK_POINTS', amount: riskPointsFor(POLICY.riskPoints, EMAIL_ACTION) ?? 0 };
}

/** A model call: under a maxTokens cap (known before, or granted with this call) it asks for and uses less. */
async function modelCall(
  ledger: MemoryAuthority,
  clock: ManualClock,
  step: number,
  caps: Caps | undefined,
): Promise<StepOutcome> {
  const estimate = caps?.maxTokens === undefined ? MODEL_COST.estimate : MODEL_COST.estimateUnderCaps;
  return governedCall(ledger, clock, step, MODEL_ACTION, estimate, MODEL_CALL_MS, (granted) =>
    mergeCaps(caps, granted)?.maxTokens === undefined ? MODEL_COST.actual : MODEL_COST.actualUnderCaps,
  );
}

async function emailCall(ledger: MemoryAuthority, clock: ManualClock, step: number): Promise<StepOutcome> {
  const cost = emailCost();
  return governedCall(ledger, clock, step, EMAIL_ACTION, cost, EMAIL_CALL_MS, () => cost);
}

/**
 * Reserve `estimate`; unless denied, "run" the call for `durationMs` and
 * commit what `actualFor` says it used under the caps it was given.
 */
async function governedCall(
  ledger: MemoryAuthority,
  clock: ManualClock,
  step: number,
  action: Action,
  estimate: Amount,
  durationMs: number,
  actualFor: (caps: Caps | undefined) => Amount,
): Promise<StepOutcome> {
  const key = `run-4821/step-${step}`;
  const reservation = await ledger.reserve({
    idempotencyKey: `${key}/reserve`,
    subject: SUBJECT,
    action,
    estimate,
  });
  const outcome = outcomeOf(step, action, estimate, reservation);
  if (!reservation.reservationId) return outcome;
  clock.advance(durationMs);
  const commit = await ledger.commit(reservation.reservationId, {
    idempotencyKey: `${key}/commit`,
    actual: actualFor(reservation.caps),
  });
  return { ...outcome, committed: commit.charged };
}

function outcomeOf(
  step: number,
  action: Action,
  estimate: Amount,
  r: ReservationCreateResponse,
): StepOutcome {
  const outcome: StepOutcome = { step, action, estimate, decision: r.decision };
  if (r.caps) outcome.caps = r.caps;
  if (r.reasonCode) outcome.reasonCode = r.reasonCode;
  if (r.blockedScope) outcome.blockedScope = r.blockedScope;
  return outcome;
}

async function printStep(ledger: MemoryAuthority, table: Table, outcome: StepOutcome): Promise<void> {
  const { balances } = await ledger.balances({ tenant: SUBJECT.tenant, includeChildren: true });
  const detail =
    outcome.decision === 'DENY' ? `${outcome.reasonCode} at ${outcome.blockedScope}` : capsText(outcome.caps);
  table.row([
    String(outcome.step),
    `${outcome.action.kind} ${outcome.action.name}`,
    amountText(outcome.estimate),
    outcome.decision,
    amountText(outcome.committed),
    remainingText(balances, RUN_SCOPE, 'USD_MICROCENTS'),
    remainingText(balances, RUN_SCOPE, 'RISK_POINTS'),
    remainingText(balances, TENANT_SCOPE, 'USD_MICROCENTS'),
    detail,
  ]);
}

/** What would the agent's next model call get, now that it runs under maxTokens? A dry run answers without reserving. */
async function dryRunNextModelCall(ledger: MemoryAuthority, log: Log): Promise<void> {
  const estimate = MODEL_COST.estimateUnderCaps;
  const answer = await ledger.reserve({
    idempotencyKey: 'run-4821/dry-run',
    subject: SUBJECT,
    action: MODEL_ACTION,
    estimate,
    dryRun: true,
  });
  const detail =
    answer.decision === 'DENY' ? `${answer.reasonCode} at ${answer.blockedScope}` : capsText(answer.caps);
  log(
    `dry run   next ${MODEL_ACTION.name} call under caps, ${amountText(estimate)}: ${answer.decision} ${detail}`,
  );
  const run = answer.balances?.find((b) => b.scope === RUN_SCOPE);
  log(
    `          reservation: ${answer.reservationId ? 'made (unexpected for a dry run)' : 'none'}; the run still has ${amountText(run?.remaining)} left, ${amountText(run?.reserved)} reserved`,
  );
}

/** A caller passing dollars where the protocol wants integer USD_MICROCENTS is told so, before the ledger is touched. */
async function showInvalidRequest(ledger: MemoryAuthority, log: Log): Promise<void> {
  try {
    await ledger.reserve({
      idempotencyKey: 'run-4821/invalid',
      subject: SUBJECT,
      action: MODEL_ACTION,
      estimate: { unit: 'USD_MICROCENTS', amount: 0.36 },
    });
    log('invalid   estimate of 0.36 USD_MICROCENTS was accepted (unexpected)');
  } catch (error) {
    if (!(error instanceof InvalidRequestError)) throw error;
    log(
      `invalid   estimate { amount: 0.36 } → ${error.name} ${error.code} (${error.status}): ${error.message}`,
    );
  }
}

async function printFinalBudgets(ledger: MemoryAuthority, log: Log): Promise<void> {
  const table = new Table(
    [
      { title: 'budget', width: 52 },
      { title: 'allocated', width: 9, align: 'right' },
      { title: 'spent', width: 6, align: 'right' },
      { title: 'reserved', width: 8, align: 'right' },
      { title: 'remaining', width: 9, align: 'right' },
    ],
    log,
  );
  table.header();
  for (const b of await ledger.listBudgets()) {
    table.row([
      `${b.scope} ${b.unit}`,
      quantity(b.unit, b.allocated),
      quantity(b.unit, b.spent),
      quantity(b.unit, b.reserved),
      quantity(b.unit, b.remaining),
    ]);
  }
}
