/**
 * The demo's scenario and its defaults. Kept free of imports so that
 * `governor demo --help` (which prints the defaults) loads nothing else.
 */

/** 1 USD in USD_MICROCENTS (the same as `USD` of @governor/core). */
const USD = 100_000_000;

/** How the agent is built: the framework its users would build it with. */
export const VIAS = ['ai-sdk', 'langchain', 'mcp'] as const;
export type Via = (typeof VIAS)[number];

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
  /**
   * The agent retries with the very same arguments, and the loop breaker
   * (on by default for tools with risk points) stops it by LOOP_DETECTED.
   */
  loopBreaker: boolean;
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
  loopBreaker: false,
};
