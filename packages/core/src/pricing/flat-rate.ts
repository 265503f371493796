/**
 * A model priced at one constant rate per million input and output tokens
 * (cache and search rates allowed; no tiers, dates, times of day or other
 * priced units). A usage of plain input and output tokens costs it what the
 * library's `calcPrice` computes — the same terms, added in the same order,
 * each cache or search term being an exact +0 — without its per-call
 * matching and unit algebra.
 * Anything else goes through `calcPrice`.
 */
import type { ModelInfo, Usage } from '@pydantic/genai-prices';

export interface FlatRate {
  inputMtok: number;
  outputMtok: number;
}

/** Price keys a flat rate may have besides input and output: priced at zero usage here. */
const ZERO_USAGE_KEYS = new Set([
  'cache_read_mtok',
  'cache_write_mtok',
  'web_searches_kcount',
  'storage_searches_kcount',
]);

const isRate = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** The model's flat rate, or undefined when its price is anything more. */
export function flatRateOf(model: ModelInfo): FlatRate | undefined {
  const { prices } = model;
  if (Array.isArray(prices) || prices === null || typeof prices !== 'object') return undefined;
  const { input_mtok: inputMtok, output_mtok: outputMtok } = prices;
  if (!isRate(inputMtok) || !isRate(outputMtok)) return undefined;
  for (const [key, value] of Object.entries(prices)) {
    if (key === 'input_mtok' || key === 'output_mtok' || value === undefined) continue;
    if (!ZERO_USAGE_KEYS.has(key) || !isRate(value)) return undefined;
  }
  return { inputMtok, outputMtok };
}

/** Whether `usage` is plain input and output tokens (what a flat rate prices here). */
export function isPlainTokens(usage: Usage): boolean {
  for (const key in usage) if (key !== 'input_tokens' && key !== 'output_tokens') return false;
  return true;
}

/** USD for plain tokens at `rate`, as `calcPrice` adds it up: (input price) + (output price) + 0. */
export function flatCost(rate: FlatRate, usage: Usage): number {
  const input = (rate.inputMtok * (usage.input_tokens ?? 0)) / 1e6;
  const output = (rate.outputMtok * (usage.output_tokens ?? 0)) / 1e6;
  return input + output + 0;
}
