import type { Action } from '../protocol/types.js';

/**
 * Risk points per consequential action: `send_email` 1, `refund.issue` 25,
 * `deploy_service` 100. A rule matches on the action's name (tool name), its
 * kind, or both; `*` at the end of a value matches any suffix. The first rule
 * naming the action's name wins over kind-only rules; otherwise `default`.
 */
export interface RiskPointRule {
  name?: string;
  kind?: string;
  points: number;
}

export interface RiskPointTable {
  default?: number;
  rules: RiskPointRule[];
}

const matches = (pattern: string | undefined, value: string) =>
  pattern === undefined ||
  (pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : pattern === value);

/**
 * RISK_POINTS for `action`, or undefined when no rule (and, unless
 * `withDefault: false`, no default) applies. Adapters with their own fallback
 * (e.g. MCP tool annotations) ask without the default.
 */
export function riskPointsFor(
  table: RiskPointTable | undefined,
  action: Pick<Action, 'kind' | 'name'>,
  { withDefault = true }: { withDefault?: boolean } = {},
): number | undefined {
  if (!table) return undefined;
  const applicable = table.rules.filter((r) => matches(r.name, action.name) && matches(r.kind, action.kind));
  const best = applicable.find((r) => r.name !== undefined) ?? applicable[0];
  return best?.points ?? (withDefault ? table.default : undefined);
}
