import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { type AnnotationPoints, DEFAULT_ANNOTATION_POINTS, type GovernClientOptions } from './options.js';

/** RISK_POINTS for a tool from its annotations (MCP defaults where a hint is missing). */
export function annotationPointsFor(
  annotations: ToolAnnotations | undefined,
  table: Partial<AnnotationPoints> = {},
): number {
  const points = { ...DEFAULT_ANNOTATION_POINTS, ...table };
  if (annotations?.readOnlyHint === true) return points.readOnly;
  const base = annotations?.destructiveHint === false ? points.additive : points.destructive;
  return base + (annotations?.openWorldHint === false ? 0 : points.openWorld);
}

/**
 * The RISK_POINTS of one call: the options' entry for the tool (a number or a
 * function of the arguments), else the governor's risk-point table, else the
 * tool's annotations.
 */
export function pointsForCall(
  name: string,
  args: Record<string, unknown> | undefined,
  annotations: ToolAnnotations | undefined,
  options: GovernClientOptions,
): number {
  const rule = options.riskPoints?.[name];
  const explicit = typeof rule === 'function' ? rule(args) : rule;
  if (explicit !== undefined) return explicit;
  const tabled = options.governor.riskPointsFor(
    { kind: options.kind ?? 'tool.call', name },
    { withDefault: false },
  );
  if (tabled !== undefined) return tabled;
  return annotationPointsFor(annotations, options.annotationPoints);
}
