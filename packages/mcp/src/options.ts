import {
  type BudgetDeniedError,
  type Governor,
  type LoopBreakerPolicy,
  type RiskPoints,
  type Subject,
  adapterOptionFields as shared,
  UNITS,
  type Unit,
} from '@governor/core';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** A tool's RISK_POINTS: a number, or a function of the call's arguments (undefined: fall through). */
export type ToolPoints = RiskPoints;

/**
 * RISK_POINTS derived from a tool's MCP annotations, when neither the options
 * nor the governor's risk-point table name the tool. Missing hints take the
 * MCP defaults: not read-only, destructive, open world.
 */
export interface AnnotationPoints {
  /** `readOnlyHint: true`. Default 0 (runs unreserved). */
  readOnly: number;
  /** Not read-only, `destructiveHint: false` (additive). Default 1. */
  additive: number;
  /** Not read-only, destructive (the default when unannotated). Default 10. */
  destructive: number;
  /** Added to a non-read-only tool that reaches an open world (`openWorldHint` not false). Default 1. */
  openWorld: number;
}

export const DEFAULT_ANNOTATION_POINTS: AnnotationPoints = {
  readOnly: 0,
  additive: 1,
  destructive: 10,
  openWorld: 1,
};

export interface GovernClientOptions {
  /** The lifecycle every call goes through (`createGovernor` from `@governor/core`). */
  governor: Governor;
  /**
   * RISK_POINTS per tool name; a tool not named here uses the governor's
   * risk-point table (`riskPoints` of `createGovernor`, its `default`
   * included), then its annotations (`annotationPoints`). A call worth 0
   * points runs unreserved.
   */
  riskPoints?: Record<string, ToolPoints>;
  /** Points per annotation class; merged over DEFAULT_ANNOTATION_POINTS. */
  annotationPoints?: Partial<AnnotationPoints>;
  /** `result` (default): a denied call returns an `isError` CallToolResult; `throw`: it throws `BudgetDeniedError`. */
  onDeny?: 'result' | 'throw';
  /** The result a denied call returns; default `deniedResult` (a sentence the model can read). */
  deniedResult?: (denial: BudgetDeniedError, toolName: string) => CallToolResult;
  /** Action kind of a tool call; default `tool.call`. */
  kind?: string;
  /** Levels added to the current subject for every tool call (e.g. `{ toolset: 'email' }`). */
  subject?: Partial<Subject>;
  /** Levels added for one tool's calls, over `subject`. */
  toolSubject?: (toolName: string) => Partial<Subject> | undefined;
  /** `listTools` hides tools the current caps deny; default true. */
  hideDeniedTools?: boolean;
  /** The unit whose budgets' caps `listTools` asks about; default RISK_POINTS. */
  capsUnit?: Unit;
  /** The loop breaker for tools with risk points; default the governor's (`loopBreaker`); `false`: off. */
  loopBreaker?: LoopBreakerPolicy | false;
}

/** A tool as far as governance cares: its name and annotations. */
export interface ToolInfo {
  name: string;
  annotations?: ToolAnnotations | undefined;
}

/** governClient's options, checked when it is made (core's shared names plus MCP's own). */
export const clientOptionsSchema = z.strictObject({
  governor: shared.governor,
  riskPoints: shared.riskPoints,
  annotationPoints: z
    .strictObject({
      readOnly: z.number().int().min(0).optional(),
      additive: z.number().int().min(0).optional(),
      destructive: z.number().int().min(0).optional(),
      openWorld: z.number().int().min(0).optional(),
    })
    .optional(),
  onDeny: shared.onDeny,
  deniedResult: shared.deniedResult,
  kind: shared.kind,
  subject: shared.subject,
  toolSubject: shared.toolSubject,
  hideDeniedTools: z.boolean().optional(),
  capsUnit: z.enum(UNITS).optional(),
  loopBreaker: shared.loopBreaker,
});
