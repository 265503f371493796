/**
 * The calls every part of RedisAuthority makes: a Redis command with its
 * failures classified, a Lua script with its answer decoded, and the scripts'
 * notion of now (Redis TIME, or the shared test clock).
 */
import { GovernorError, InternalError } from '@governor/core';
import { currentAuditContext } from '@governor/core/ledger';
import type { Cluster, Redis } from 'ioredis';
import { classifyRedisError } from './errors.js';
import type { KeySpace } from './keys.js';
import type { Settings } from './options.js';
import type { Outcome } from './records.js';
import { registerScripts, type ScriptCall, type ScriptName } from './scripts.js';

type Args = (string | number)[];

/** The audit record a script appends: its tenant and the members the caller knows (the script adds the rest). */
export interface AuditPart {
  tenant: string;
  members: Record<string, unknown>;
}

export class RedisCalls {
  readonly #call: ScriptCall;
  readonly #testClock: { startMs?: number } | undefined;
  #clockReady: Promise<void> | undefined;

  constructor(
    readonly client: Redis | Cluster,
    readonly keys: KeySpace,
    testClock: { startMs?: number } | undefined,
    readonly audit: Settings['audit'],
  ) {
    this.#call = registerScripts(client);
    this.#testClock = testClock;
  }

  /** Every Redis call goes through here: connection failures become RedisUnavailableError (see classifyRedisError). */
  async redis<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (GovernorError.isInstance(error)) throw error;
      throw classifyRedisError(error);
    }
  }

  /** A script that answers JSON (every one but due and expire), decoded; `audit`: the record it appends. */
  async script(name: ScriptName, keys: string[], args: Args, audit?: AuditPart): Promise<Outcome> {
    const raw = await this.#run(name, keys, args, audit);
    if (typeof raw !== 'string') throw new InternalError(`script ${name} answered ${typeof raw}`);
    return JSON.parse(raw) as Outcome;
  }

  /**
   * Every script call: the audit arguments last (lib.lua reads them from the
   * end) — the clock, retention, and the record's members as JSON text — and,
   * with a trail, the tenant's audit stream and head as the last two keys.
   */
  async #run(name: ScriptName, keys: string[], args: Args, audit: AuditPart | undefined): Promise<unknown> {
    const trail = audit && this.audit;
    const members = trail ? JSON.stringify({ ...currentAuditContext(), ...audit.members }).slice(1, -1) : '';
    const tail = [trail ? await this.now() : '', trail?.max ?? 0, trail?.maxAgeMs ?? 0, members];
    const allKeys = trail
      ? [...keys, this.keys.audit(audit.tenant), this.keys.auditHead(audit.tenant)]
      : keys;
    return this.redis(() => this.#call(name, allKeys, [...args, ...tail]));
  }

  /** due.lua: the ids of up to `count` reservations of `tenant` whose expiry is due at `now`. */
  async due(tenant: string, now: string, count: number): Promise<string[]> {
    const ids = await this.#run('due', [this.keys.expiry(tenant)], [now, count], undefined);
    if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === 'string')) {
      throw new InternalError(`script due answered ${typeof ids}`);
    }
    return ids;
  }

  /** expire.lua: true when it expired the reservation (false: already settled or not due). */
  async expire(tenant: string, keys: string[], args: Args): Promise<boolean> {
    return (await this.#run('expire', keys, args, { tenant, members: { operation: 'expire' } })) === 1;
  }

  /** The test clock's time as a script argument, or '' for Redis TIME. */
  async now(): Promise<string> {
    if (!this.#testClock) return '';
    const startMs = this.#testClock.startMs ?? Date.UTC(2026, 0, 1);
    this.#clockReady ??= this.redis(async () => {
      await this.client.set(this.keys.clock(), String(startMs), 'NX');
    });
    await this.#clockReady;
    return (await this.redis(() => this.client.get(this.keys.clock()))) ?? '';
  }

  /** TESTS ONLY (needs the testClock option): move the shared test clock forward. */
  async advanceClock(ms: number): Promise<void> {
    if (!this.#testClock) throw new Error('advanceClock needs the testClock option (tests only)');
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advanceClock(ms): ms must be ≥ 0, got ${ms}`);
    await this.now();
    await this.redis(() => this.client.incrby(this.keys.clock(), Math.round(ms)));
  }
}
