/**
 * The Lua scripts, one per mutation, loaded from `./lua` next to this module
 * (src/lua in development, dist/lua once built) with the shared `lib.lua`
 * prepended, and registered as ioredis commands (EVALSHA, with a transparent
 * reload on NOSCRIPT).
 */
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

export const SCRIPT_NAMES = [
  'reserve',
  'commit',
  'release',
  'extend',
  'event',
  'expire',
  'due',
  'budget_create',
  'budget_update',
  'config',
  'idem_put',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const read = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

let sources: Record<ScriptName, string> | undefined;

/** Script sources with the shared library prepended. */
export function scriptSources(): Record<ScriptName, string> {
  if (!sources) {
    const lib = read('lib');
    sources = Object.fromEntries(SCRIPT_NAMES.map((n) => [n, `${lib}\n${read(n)}`])) as Record<
      ScriptName,
      string
    >;
  }
  return sources;
}

export type ScriptCall = (name: ScriptName, keys: string[], args: (string | number)[]) => Promise<unknown>;

/** Define every script on `client` (idempotent per client) and return a caller. */
export function registerScripts(client: Redis | Cluster): ScriptCall {
  const c = client as unknown as Record<string, unknown>;
  for (const [name, lua] of Object.entries(scriptSources())) {
    const command = `governor_${name}`;
    if (typeof c[command] !== 'function') client.defineCommand(command, { lua });
  }
  return (name, keys, args) => {
    const fn = c[`governor_${name}`] as (...a: (string | number)[]) => Promise<unknown>;
    return fn.call(client, keys.length, ...keys, ...args);
  };
}
