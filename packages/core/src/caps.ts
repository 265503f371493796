import type { Caps } from './protocol/types.js';

const minOf = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);
const maxOf = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);

function allowlistOf(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  if (!a?.length) return b?.length ? [...b] : undefined;
  if (!b?.length) return [...a];
  return a.filter((tool) => b.includes(tool));
}

function denylistOf(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  const all = [...(a ?? []), ...(b ?? [])];
  return all.length ? [...new Set(all)] : undefined;
}

/**
 * The tighter of two sets of caps: the smaller token and step limits, the
 * longer cooldown, the intersection of allowlists and the union of denylists.
 * An allowlist keeps no tool that a denylist names. (Two disjoint allowlists
 * intersect to nothing, which the protocol cannot express as "no tools"; the
 * union of both then goes to the denylist instead.)
 */
export function mergeCaps(a: Caps | undefined, b: Caps | undefined): Caps | undefined {
  if (!a) return b && !isEmptyCaps(b) ? { ...b } : undefined;
  if (!b) return isEmptyCaps(a) ? undefined : { ...a };
  let allow = allowlistOf(a.toolAllowlist, b.toolAllowlist);
  let deny = denylistOf(a.toolDenylist, b.toolDenylist);
  if (allow && allow.length === 0) {
    deny = denylistOf(deny, [...(a.toolAllowlist ?? []), ...(b.toolAllowlist ?? [])]);
    allow = undefined;
  }
  if (allow && deny) allow = allow.filter((tool) => !deny?.includes(tool));
  const merged: Caps = {};
  const set = <K extends keyof Caps>(key: K, value: Caps[K] | undefined) => {
    if (value !== undefined) merged[key] = value;
  };
  set('maxTokens', minOf(a.maxTokens, b.maxTokens));
  set('maxStepsRemaining', minOf(a.maxStepsRemaining, b.maxStepsRemaining));
  set('toolAllowlist', allow);
  set('toolDenylist', deny);
  set('cooldownMs', maxOf(a.cooldownMs, b.cooldownMs));
  return isEmptyCaps(merged) ? undefined : merged;
}

export function isEmptyCaps(caps: Caps | undefined): boolean {
  if (!caps) return true;
  return (
    caps.maxTokens === undefined &&
    caps.maxStepsRemaining === undefined &&
    !caps.toolAllowlist?.length &&
    !caps.toolDenylist?.length &&
    caps.cooldownMs === undefined
  );
}

/** Is `tool` allowed under `caps`? Applies the protocol's precedence rules. */
export function isToolAllowed(caps: Caps | undefined, tool: string): boolean {
  if (caps?.toolAllowlist?.length) return caps.toolAllowlist.includes(tool);
  if (caps?.toolDenylist?.length) return !caps.toolDenylist.includes(tool);
  return true;
}
