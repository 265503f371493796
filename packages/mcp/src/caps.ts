import { type Caps, currentCaps as capsNow, isToolAllowed, mergeCaps } from '@governor/core';
import type { GovernClientOptions } from './options.js';

/**
 * The caps in force for the current subject now: a dry decision for a
 * zero-point tool call (nothing is reserved), with the caps of the loop's
 * latest grants.
 */
export async function currentCaps(options: GovernClientOptions): Promise<Caps | undefined> {
  const action = { kind: options.kind ?? 'tool.call', name: 'tools/list' };
  const caps = await capsNow(options, action, options.capsUnit ?? 'RISK_POINTS');
  return mergeCaps(caps, options.governor.capsInForce());
}

/** `tools` without the ones `caps` deny. */
export const allowedTools = <T extends { name: string }>(tools: T[], caps: Caps | undefined): T[] =>
  caps ? tools.filter((t) => isToolAllowed(caps, t.name)) : tools;
