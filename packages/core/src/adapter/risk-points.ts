import type { Governor } from '../governor/governor.js';

/**
 * A tool's RISK_POINTS, the one shape every adapter takes: a number, or a
 * function of the call's arguments (undefined: fall through to the next source).
 */
export type RiskPoints = number | ((args: unknown) => number | undefined);

/** Per tool name. */
export type RiskPointsByTool = Record<string, RiskPoints>;

export interface RiskPointSources {
  governor: Governor;
  /** The adapter's per-tool points; win over everything else. */
  riskPoints?: RiskPointsByTool | undefined;
  /** The action kind of a tool call; default `tool.call`. */
  kind?: string | undefined;
}

/** A points value that cannot be charged: the call is denied, with this problem. */
export class InvalidRiskPoints {
  constructor(
    readonly value: unknown,
    readonly problem: string,
  ) {}
}

/**
 * The RISK_POINTS of one call: the adapter's entry for the tool (a number or
 * a function of the arguments), else the governor's risk-point table, else
 * `fallback` (e.g. MCP tool annotations), else 0. Anything but a safe integer
 * ≥ 0 — NaN, negative, fractional, a string — is an InvalidRiskPoints: the
 * call must be denied and told why, never run free.
 */
export function resolveRiskPoints(
  name: string,
  args: unknown,
  sources: RiskPointSources,
  fallback?: () => number | undefined,
): number | InvalidRiskPoints {
  const rule = sources.riskPoints?.[name];
  let points: unknown;
  try {
    points = typeof rule === 'function' ? rule(args) : rule;
  } catch (error) {
    return new InvalidRiskPoints(undefined, `the riskPoints function threw: ${messageOf(error)}`);
  }
  if (points === undefined) {
    const kind = sources.kind ?? 'tool.call';
    points =
      sources.governor.riskPointsFor({ kind, name }, { withDefault: fallback === undefined }) ?? fallback?.();
  }
  if (points === undefined || points === null) return 0;
  if (typeof points !== 'number')
    return new InvalidRiskPoints(points, `must be a number, got ${typeof points}`);
  if (!Number.isSafeInteger(points))
    return new InvalidRiskPoints(points, `must be a whole number, got ${points}`);
  if (points < 0) return new InvalidRiskPoints(points, `must be ≥ 0, got ${points}`);
  return points;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
