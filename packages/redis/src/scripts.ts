/**
 * The Lua scripts, one per mutation, loaded from `./lua` next to this module
 * (src/lua in development, dist/lua once built) with the shared `lib.lua`
 * prepended (and `period.lua`, which fills in its period functions; reserve also gets `caps.lua` and
 * `rate.lua`), called by their digest (EVALSHA, with a transparent reload on NOSCRIPT).
 */
import { createHash } from 'node:crypto';
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
  'audit_put',
  'approval_request',
  'approval_decide',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const read = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

let sources: Record<ScriptName, string> | undefined;

/** Script sources with the shared library prepended. */
export function scriptSources(): Record<ScriptName, string> {
  if (!sources) {
    const lib = `${read('lib')}\n${read('period')}`;
    // reserve also gets the caps, rate-limit and loop-breaker helpers; reserve and the approval scripts, approvals'.
    const reserveOnly = `${read('caps')}\n${read('rate')}`;
    const approval = read('approval');
    const source = (n: ScriptName) =>
      n === 'reserve'
        ? `${lib}\n${reserveOnly}\n${approval}\n${read(n)}`
        : n.startsWith('approval_')
          ? `${lib}\n${approval}\n${read(n)}`
          : `${lib}\n${read(n)}`;
    sources = Object.fromEntries(SCRIPT_NAMES.map((n) => [n, source(n)])) as Record<ScriptName, string>;
  }
  return sources;
}

export type ScriptCall = (name: ScriptName, keys: string[], args: (string | number)[]) => Promise<unknown>;

/**
 * A caller of the scripts on `client`: EVALSHA of the script's digest, and on
 * NOSCRIPT (a node restarted, flushed or new to the cluster) one EVAL, which
 * also loads it. Plain EVALSHA rather than ioredis' `defineCommand`: for a
 * command it knows, ioredis reads the keys after the key count, so on a Cluster
 * its auto-pipelining batches each call with the calls for the same master. (A
 * defined command with a variable key count is grouped by its first argument,
 * the count, and calls for different masters were sent in one batch and failed.)
 */
export function registerScripts(client: Redis | Cluster): ScriptCall {
  const lua = scriptSources();
  const sha = Object.fromEntries(
    SCRIPT_NAMES.map((n) => [n, createHash('sha1').update(lua[n]).digest('hex')]),
  ) as Record<ScriptName, string>;
  return async (name, keys, args) => {
    try {
      return await client.evalsha(sha[name], keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(lua[name], keys.length, ...keys, ...args);
    }
  };
}
