import { InvalidRequestError } from '../errors.js';

/** Tokens added per message of a message list (role, separators), as OpenAI's own counting guide does. */
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** Tokens added once per message list (the primed assistant reply). */
export const REPLY_OVERHEAD_TOKENS = 3;

/**
 * Estimate a prompt's tokens without a tokenizer.
 *
 * Why a heuristic: tokenizers are per provider and model family (tiktoken for
 * OpenAI, none published for Claude or Gemini), and some weigh megabytes; the
 * estimate only sizes a reservation that the actual usage then corrects.
 *
 * The rule, which errs high on purpose (a reservation too small lets a call
 * overspend; one too large is released at commit):
 * - ASCII: `ceil(chars / charsPerToken)`; 4 chars per token is OpenAI's rule
 *   of thumb for English and over-counts code and common words.
 * - Every non-ASCII UTF-16 unit counts as a whole token: CJK, Cyrillic and
 *   emoji take 1–3 tokens per character, not a quarter.
 * - Non-string prompts (message arrays, objects) count the characters of their
 *   JSON, keys and punctuation included, with binary parts (bytes, `data:`
 *   URLs) left out, plus MESSAGE_OVERHEAD_TOKENS per list item and
 *   REPLY_OVERHEAD_TOKENS per list. Images and files are not text: pass
 *   `inputTokens` when their cost matters.
 */
export function estimateTokens(prompt: string | unknown, charsPerToken = 4): number {
  if (!(Number.isFinite(charsPerToken) && charsPerToken > 0))
    throw new InvalidRequestError([{ path: 'charsPerToken', message: `must be > 0, got ${charsPerToken}` }]);
  if (prompt === undefined || prompt === null) return 0;
  if (typeof prompt === 'string') return countText(prompt, charsPerToken);
  const overhead = Array.isArray(prompt)
    ? prompt.length * MESSAGE_OVERHEAD_TOKENS + REPLY_OVERHEAD_TOKENS
    : 0;
  return countText(jsonOfText(prompt), charsPerToken) + overhead;
}

function countText(text: string, charsPerToken: number): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 0x80) ascii++;
    else other++;
  }
  return Math.ceil(ascii / charsPerToken) + other;
}

function jsonOfText(value: unknown): string {
  try {
    return JSON.stringify(value, dropBinary) ?? '';
  } catch (error) {
    throw new InvalidRequestError([
      { path: 'prompt', message: `cannot be read as JSON (${String(error)}); pass inputTokens instead` },
    ]);
  }
}

function dropBinary(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return value.startsWith('data:') ? undefined : value;
  if (original instanceof ArrayBuffer || ArrayBuffer.isView(original)) return undefined;
  // Buffer#toJSON has already run: { type: 'Buffer', data: [bytes] }.
  const json = value as { type?: unknown; data?: unknown } | null;
  if (json && typeof json === 'object' && json.type === 'Buffer' && Array.isArray(json.data))
    return undefined;
  return value;
}
