import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { type AnnotationPoints, DEFAULT_ANNOTATION_POINTS } from './options.js';

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
