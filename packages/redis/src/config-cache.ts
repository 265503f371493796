/**
 * The shared configuration — budget templates and the degradation policy,
 * under `{config}` — as this instance last read it, reread after `cacheMs`.
 */
import type { BudgetTemplate, DegradationPolicy, ScopeSegment, Unit } from '@governor/core';
import { parseScope, scopeMatches } from '@governor/core';
import { periodArg } from './periods.js';
import type { RedisCalls } from './redis-calls.js';

export interface Config {
  templates: { template: BudgetTemplate; pattern: ScopeSegment[] }[];
  degradation: DegradationPolicy | undefined;
  degradationJson: string;
}

export class ConfigCache {
  #cache: { raw: string; config: Config } | undefined;
  #readAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly calls: RedisCalls,
    readonly cacheMs: number,
  ) {}

  /** Read it again on the next call (this instance changed it). */
  invalidate(): void {
    this.#readAt = Number.NEGATIVE_INFINITY;
  }

  async read(): Promise<Config> {
    if (this.#cache && performance.now() - this.#readAt < this.cacheMs) return this.#cache.config;
    const readAt = performance.now();
    const { client, keys } = this.calls;
    const [templates, degradation] = await this.calls.redis(() =>
      Promise.all([client.lrange(keys.templates(), 0, -1), client.get(keys.degradation())]),
    );
    const raw = `${templates.join('\n')}\n\n${degradation ?? ''}`;
    this.#readAt = readAt;
    if (this.#cache?.raw === raw) return this.#cache.config;
    const config: Config = {
      templates: templates.map((json) => {
        const template = JSON.parse(json) as BudgetTemplate;
        return { template, pattern: parseScope(template.match, { allowWildcard: true }) };
      }),
      degradation: degradation ? (JSON.parse(degradation) as DegradationPolicy) : undefined,
      degradationJson: degradation ?? '',
    };
    this.#cache = { raw, config };
    return config;
  }
}

/** The first matching template's budget for `scope` at `now`, as the scripts take it, or ''. */
export function templateArg(config: Config, scope: string, unit: Unit, now: number): string {
  for (const { template, pattern } of config.templates) {
    if (template.unit !== unit || !scopeMatches(pattern, scope)) continue;
    const caps = template.caps ? JSON.stringify(template.caps) : '';
    const limits = template.rateLimits?.length ? JSON.stringify(template.rateLimits) : '';
    const arg = `${template.allocated}\n${template.overdraftLimit ?? 0}\n${caps}`;
    if (template.period) return `${arg}\n${limits}\n${periodArg(template, now)}`;
    return limits ? `${arg}\n${limits}` : arg;
  }
  return '';
}
