import type { Usage } from '@pydantic/genai-prices';
import { InvalidRequestError, type ValidationIssue } from '../errors.js';
import type { TokenUsage } from './types.js';

/**
 * Check a usage report and map it onto the library's usage keys.
 *
 * Both sides count totals that include their parts: the library's
 * `input_tokens` includes `cache_read_tokens` and `cache_write_tokens`, and
 * `output_tokens` includes `output_reasoning_tokens`. It bills each part at
 * its own price where the model has one and the rest of the total at the
 * plain price, so a cached or reasoning token is billed exactly once.
 */
export function toLibraryUsage(usage: TokenUsage): Usage {
  const issues: ValidationIssue[] = [];
  const count = (key: keyof TokenUsage, required: boolean): number => {
    const value = usage?.[key];
    if (value === undefined && !required) return 0;
    if (!Number.isSafeInteger(value) || (value as number) < 0)
      issues.push({ path: `usage.${key}`, message: `must be an integer ≥ 0, got ${String(value)}` });
    return value as number;
  };
  const input = count('inputTokens', true);
  const output = count('outputTokens', true);
  const cacheRead = count('cachedInputTokens', false);
  const cacheWrite = count('cacheWriteTokens', false);
  const reasoning = count('reasoningTokens', false);
  if (issues.length === 0 && cacheRead + cacheWrite > input)
    issues.push({
      path: 'usage.cachedInputTokens',
      message:
        `cached (${cacheRead}) + cache-write (${cacheWrite}) tokens exceed inputTokens (${input}); ` +
        'inputTokens must include them (add Anthropic cache counts to its input_tokens)',
    });
  if (issues.length === 0 && reasoning > output)
    issues.push({
      path: 'usage.reasoningTokens',
      message: `reasoning tokens (${reasoning}) exceed outputTokens (${output}), which must include them`,
    });
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return {
    input_tokens: input,
    output_tokens: output,
    ...(cacheRead > 0 ? { cache_read_tokens: cacheRead } : {}),
    ...(cacheWrite > 0 ? { cache_write_tokens: cacheWrite } : {}),
    ...(reasoning > 0 ? { output_reasoning_tokens: reasoning } : {}),
  };
}
