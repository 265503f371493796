/**
 * The options every adapter takes, under one set of names (AI SDK, LangChain,
 * MCP), validated the same way: a typo or a wrong value is an
 * InvalidRequestError naming the field, when the adapter is built.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import { extendSubject } from '../governor/context.js';
import { deniedToolMessage } from '../governor/denial-text.js';
import type { BudgetDeniedError } from '../governor/errors.js';
import type { Governor } from '../governor/governor.js';
import type { LoopBreakerPolicy } from '../policy/loop-breaker.js';
import { loopBreaker } from '../policy/schemas.js';
import { NAME_PATTERN } from '../protocol/schemas.js';
import type { Subject } from '../protocol/types.js';
import { validate } from '../protocol/validate.js';
import { ApprovalRequiredError } from './approval.js';
import type { ApprovalWait } from './approval-pause.js';
import type { BudgetNoteOption } from './budget-note.js';
import type { AppliedCaps } from './caps-plan.js';
import { budgetDenialOf } from './denial.js';
import type { ModelIdentity, ModelPricingOptions } from './model-call.js';
import type { RiskPointsByTool } from './risk-points.js';
import { governToolCall, type ToolCall, type ToolGuardOptions } from './tool-call.js';

/** The tool-side options of every adapter; `R` is what a denied call answers with. */
export interface ToolAdapterOptions<R = string> {
  /** The lifecycle calls go through (`createGovernor`). */
  governor: Governor;
  /** Levels added to the current subject for every call (e.g. `{ agent: 'triage' }`). */
  subject?: Partial<Subject> | undefined;
  /** Levels added for one tool's calls, over `subject` (e.g. `{ toolset: 'email' }`). */
  toolSubject?: ((toolName: string) => Partial<Subject> | undefined) | undefined;
  /** RISK_POINTS per call by tool name (a number or a function of the arguments); else the governor's table. */
  riskPoints?: RiskPointsByTool | undefined;
  /** The action kind of a tool call; default `tool.call`. */
  kind?: string | undefined;
  /** The loop breaker for tools with risk points (`{ threshold, windowMs }`); default the governor's; `false`: off. */
  loopBreaker?: LoopBreakerPolicy | false | undefined;
  /** A denied tool call: `result` (default) answers with a message the model can read; `throw` rejects. */
  onDeny?: 'result' | 'throw' | undefined;
  /** What a denied tool call answers with; default `deniedToolMessage`. */
  deniedResult?: ((denial: BudgetDeniedError, toolName: string) => R) | undefined;
}

/** The model-side options of every adapter; `M` is the framework's model type. */
export interface ModelAdapterOptions<M> extends ModelPricingOptions {
  governor: Governor;
  subject?: Partial<Subject> | undefined;
  /** The cheaper model the caps switch to (when they cap output tokens), or one per requested model. */
  downgrade?: M | ((model: ModelIdentity) => M | undefined) | undefined;
  /** A denied model call: `end` ends the agent with a final message that says why; `throw` rejects. */
  onModelDeny?: 'end' | 'throw' | undefined;
  /** What the caps changed on a model call, before it runs. Must not throw. */
  onApplied?: ((applied: AppliedCaps, call: { modelId: string }) => void) | undefined;
  /**
   * Tell the model, before each call, what its budgets have left, in a short
   * system note (`true`: the default text; a function: your own text). Off by default.
   */
  budgetNote?: BudgetNoteOption | undefined;
}

/** Any function (hooks, callbacks). */
export const anyFunction = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', {
  error: 'must be a function',
});
/** An object with these methods (a Governor, a Pricing, a framework model). */
export const withMethods = (what: string, ...methods: string[]) =>
  z.custom<object>(
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
    { error: `must be ${what}` },
  );

/** The zod fields of the shared option names; adapters add their own and pick what they support. */
export const adapterOptionFields = {
  governor: withMethods('a Governor (createGovernor from @governor/core)', 'begin', 'run', 'decide'),
  pricing: withMethods('a Pricing (createPricing from @governor/core)', 'estimate', 'cost').optional(),
  priceAs: anyFunction.optional(),
  subject: z.record(z.string(), z.unknown()).optional(),
  toolSubject: anyFunction.optional(),
  riskPoints: z.record(z.string(), z.union([z.number(), anyFunction])).optional(),
  kind: z.string().min(1).max(64).optional(),
  loopBreaker: z.union([loopBreaker, z.literal(false)]).optional(),
  onDeny: z.enum(['result', 'throw']).optional(),
  onModelDeny: z.enum(['end', 'throw']).optional(),
  deniedResult: anyFunction.optional(),
  defaultMaxOutputTokens: z.number().int().min(1).optional(),
  onApplied: anyFunction.optional(),
  budgetNote: z.union([z.boolean(), anyFunction]).optional(),
};

const fields = adapterOptionFields;
/** The zod fields of `ToolAdapterOptions`. */
export const toolOptionFields = {
  governor: fields.governor,
  subject: fields.subject,
  toolSubject: fields.toolSubject,
  riskPoints: fields.riskPoints,
  kind: fields.kind,
  loopBreaker: fields.loopBreaker,
  onDeny: fields.onDeny,
  deniedResult: fields.deniedResult,
};
/** The zod fields of `ModelPricingOptions`. */
export const pricingOptionFields = {
  pricing: fields.pricing,
  priceAs: fields.priceAs,
  defaultMaxOutputTokens: fields.defaultMaxOutputTokens,
};

/**
 * `options` checked against `schema` — a `z.strictObject` of the adapter's
 * fields, built once, so an old or misspelt option is an error, not ignored.
 * Throws InvalidRequestError, e.g. `governorMiddleware.onDeny: must be one of result, throw`.
 */
export function checkAdapterOptions<T extends object>(options: T, where: string, schema: z.ZodType): T {
  validate(schema, options, [where]);
  return options;
}

/** The tool guard's options for one tool: `subject` plus `toolSubject(name)`. */
export function toolGuardFor(
  options: ToolAdapterOptions<unknown>,
  toolName: string,
  subject: Partial<Subject> | undefined = options.subject,
): ToolGuardOptions {
  const levels = { ...subject, ...options.toolSubject?.(toolName) };
  const { governor, riskPoints, kind, loopBreaker } = options;
  return { governor, riskPoints, kind, subject: levels, loopBreaker };
}

/** What a denied tool call answers with — undefined when `error` is not its denial, or with `onDeny: 'throw'`. */
export function deniedToolResult<R = string>(
  options: ToolAdapterOptions<R>,
  error: unknown,
  toolName: string,
): R | string | undefined {
  const denial = budgetDenialOf(error, { kind: options.kind ?? 'tool.call', name: toolName });
  if (!denial || options.onDeny === 'throw') return undefined;
  return (options.deniedResult ?? deniedToolMessage)(denial, toolName);
}

/**
 * One tool call through the guard (`governToolCall` with `toolGuardFor`'s
 * options, `subject` for the call's levels): a denied call does not run and
 * answers with `answer(deniedToolResult(…))` — or rejects, with `onDeny: 'throw'`.
 * A call paused for approval (still PENDING) goes to `waitForApproval`, and
 * is tried again when it says `retry` (approved, it runs once), the circuit
 * breaker's count of denials in a row starting over.
 */
export async function guardToolCall<T, R = string, A = R | string>(
  options: ToolAdapterOptions<R>,
  call: ToolCall & { subject?: Partial<Subject> | undefined; waitForApproval?: ApprovalWait | undefined },
  execute: () => Promise<T> | T,
  answer: (denied: R | string) => A = (denied) => denied as A,
): Promise<T | A> {
  const { subject = options.subject, waitForApproval, ...toolCall } = call;
  const guard = toolGuardFor(options, call.name, subject);
  for (;;) {
    try {
      return await governToolCall(guard, toolCall, execute);
    } catch (error) {
      const pending = ApprovalRequiredError.isInstance(error) && error.approval.status === 'PENDING';
      if (pending && waitForApproval && (await waitForApproval(error)) === 'retry') {
        // Waited for a person's decision: a new attempt, not one more denial in a row.
        options.governor.breaker?.reset(extendSubject(options.governor.subject, guard.subject));
        continue;
      }
      const denied = deniedToolResult(options, error, call.name);
      if (denied === undefined) throw error;
      return answer(denied);
    }
  }
}

/** The levels a call adds: `subject`, plus the Governor `run` — unless the subject or the governor already sets one. */
export function withRunLevel(
  options: { governor: Governor; subject?: Partial<Subject> | undefined },
  run: string | undefined,
): Partial<Subject> {
  const base = options.subject ?? {};
  if (base.run !== undefined || options.governor.subject.run !== undefined || !run) return base;
  return { ...base, run };
}

/** The cheaper model `options.downgrade` configures for `model`, if any. */
export function downgradeFor<M, I extends ModelIdentity>(
  options: { downgrade?: M | ((model: I) => M | undefined) | undefined },
  model: I,
): M | undefined {
  const { downgrade } = options;
  return typeof downgrade === 'function' ? (downgrade as (model: I) => M | undefined)(model) : downgrade;
}

/**
 * A conversation's id (a thread, a session) as a `run` level: itself when it
 * is a valid level name, else a stable hash of it (`thread-…`).
 */
export function runLevelOf(id: string): string {
  if (id.length <= 128 && NAME_PATTERN.test(id)) return id;
  return `thread-${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;
}

/**
 * The Governor `run` of one agent invocation: a fresh id (`runPer: 'invoke'`,
 * the default), or the conversation's id as a run level (`runPer: 'thread'`),
 * which must then be given — else an InvalidRequestError at `where.path`.
 */
export function runIdFor(
  runPer: 'invoke' | 'thread' | undefined,
  conversation: unknown,
  where: { path: string; hint: string },
): string {
  if ((runPer ?? 'invoke') === 'invoke') return randomUUID();
  if (typeof conversation === 'string' || typeof conversation === 'number') {
    return runLevelOf(String(conversation));
  }
  const message = `is required with runPer: 'thread' (${where.hint})`;
  throw new InvalidRequestError([{ path: where.path, message }]);
}

/**
 * `downgrade` with every model it names passed through `wrap` (once per
 * model): the same option for models wrapped the way the requested one is.
 */
export function mapDowngrade<M extends object, I>(
  downgrade: M | ((model: I) => M | undefined) | undefined,
  wrap: (model: M) => M,
): M | ((model: I) => M | undefined) | undefined {
  const wrapped = new WeakMap<M, M>();
  const mapped = (model: M | undefined) => {
    if (!model) return undefined;
    const known = wrapped.get(model) ?? wrap(model);
    wrapped.set(model, known);
    return known;
  };
  if (typeof downgrade !== 'function') return mapped(downgrade);
  return (model: I) => mapped((downgrade as (model: I) => M | undefined)(model));
}
