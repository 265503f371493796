import { assertToolAllowed, type CallSpec } from '@governor/core';
import type { GovernorLangChainOptions } from './options.js';

/** RISK_POINTS of one call of `name` with `args`, or undefined when the tool is not guarded. */
export function pointsOf(options: GovernorLangChainOptions, name: string, args: unknown): number | undefined {
  const rule = options.riskPoints?.[name];
  if (typeof rule === 'function') return rule(args);
  return rule ?? options.governor.riskPointsFor({ kind: options.toolKind ?? 'tool.call', name });
}

/** The reservation for one guarded tool call, or undefined when it has no risk points. */
export function toolSpec(
  options: GovernorLangChainOptions,
  name: string,
  args: unknown,
  subject?: CallSpec['subject'],
): CallSpec | undefined {
  const points = pointsOf(options, name, args);
  if (!points) return undefined;
  const merged = subject || options.subject ? { ...options.subject, ...subject } : undefined;
  return {
    action: { kind: options.toolKind ?? 'tool.call', name },
    estimate: { unit: 'RISK_POINTS', amount: points },
    ...(merged ? { subject: merged } : {}),
  };
}

/**
 * Reserve the tool call's RISK_POINTS, run it, commit them; release when it
 * throws. A denied call (budget spent, or caps deny the tool) throws
 * `BudgetDeniedError` and `execute` never runs.
 */
export function guardTool<T>(
  options: GovernorLangChainOptions,
  spec: CallSpec,
  execute: () => Promise<T>,
): Promise<T> {
  return options.governor.run(spec, async (grant) => {
    assertToolAllowed(grant, spec.action.name);
    return { value: await execute(), actual: spec.estimate.amount };
  });
}
