import type { Provider } from '@pydantic/genai-prices';
import { InvalidRequestError, type ValidationIssue } from '../errors.js';
import type { ModelPrice, ModelRef } from './types.js';

/** A caller price as a one-model provider, so the library prices it with the same rules as its own data. */
export interface CallerPrice {
  key: string;
  provider: Provider;
}

/** Validate `prices` and index them by lower-cased key. */
export function indexCallerPrices(prices: Record<string, ModelPrice>): Map<string, CallerPrice> {
  const issues: ValidationIssue[] = [];
  const index = new Map<string, CallerPrice>();
  for (const [rawKey, price] of Object.entries(prices)) {
    const key = rawKey.trim().toLowerCase();
    const path = `prices[${JSON.stringify(rawKey)}]`;
    if (key === '') issues.push({ path, message: 'model id must be non-empty' });
    const rate = (field: keyof ModelPrice, required: boolean): number | undefined => {
      const value = price?.[field];
      if (value === undefined && !required) return undefined;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
        issues.push({
          path: `${path}.${field}`,
          message: `must be a finite number ≥ 0, got ${String(value)}`,
        });
      return value;
    };
    const input_mtok = rate('inputPerMillionUsd', true);
    const output_mtok = rate('outputPerMillionUsd', true);
    const cache_read_mtok = rate('cachedInputPerMillionUsd', false);
    const provider: Provider = {
      id: 'governor-caller-prices',
      name: 'caller prices (createPricing({ prices }))',
      api_pattern: '(?!)',
      models: [{ id: key, match: { equals: key }, prices: { input_mtok, output_mtok, cache_read_mtok } }],
    };
    index.set(key, { key, provider });
  }
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return index;
}

/**
 * The caller price for a model, if any. Tried in order: `provider:model`
 * (a price for one provider only), the id as given, and, for a prefixed id
 * such as `acme:my-model`, its bare model id.
 */
export function findCallerPrice(index: Map<string, CallerPrice>, ref: ModelRef): CallerPrice | undefined {
  if (index.size === 0) return undefined;
  const id = ref.modelId.toLowerCase();
  const provider = ref.provider?.toLowerCase();
  const split = /^([a-z0-9_-]+)[:/](.+)$/.exec(id);
  const prefixMatches = split && (!provider || split[1] === provider || split[1] === provider.split('.')[0]);
  const keys = [
    ...(provider ? [`${provider}:${id}`, `${provider.split('.')[0]}:${id}`] : []),
    id,
    ...(prefixMatches ? [`${split[1]}:${split[2]}`, split[2]] : []),
  ];
  for (const key of keys) {
    const hit = key === undefined ? undefined : index.get(key);
    if (hit) return hit;
  }
  return undefined;
}
