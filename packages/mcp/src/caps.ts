import { type Caps, GovernorError, isToolAllowed } from '@governor/core';
import type { GovernClientOptions } from './options.js';

/** Budget states in which there are no caps to ask about (no budget in the unit). */
const NO_CAPS = new Set(['NOT_FOUND', 'UNIT_MISMATCH']);

/**
 * The caps in force for the current subject now: a dry decision for a
 * zero-point tool call, so nothing is reserved.
 */
export async function currentCaps(options: GovernClientOptions): Promise<Caps | undefined> {
  try {
    const decision = await options.governor.decide({
      action: { kind: options.kind ?? 'tool.call', name: 'tools/list' },
      estimate: { unit: options.capsUnit ?? 'RISK_POINTS', amount: 0 },
      ...(options.subject ? { subject: options.subject } : {}),
    });
    return decision.caps;
  } catch (error) {
    if (error instanceof GovernorError && NO_CAPS.has(error.code)) return undefined;
    throw error;
  }
}

/** `tools` without the ones `caps` deny. */
export const allowedTools = <T extends { name: string }>(tools: T[], caps: Caps | undefined): T[] =>
  caps ? tools.filter((t) => isToolAllowed(caps, t.name)) : tools;
