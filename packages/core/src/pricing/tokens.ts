import { InvalidRequestError } from '../errors.js';

/** Tokens added per message of a message list (role, separators), as OpenAI's own counting guide does. */
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** Tokens added once per message list (the primed assistant reply). */
export const REPLY_OVERHEAD_TOKENS = 3;
/**
 * Tokens counted for each image in a prompt: the upper end of what the large
 * providers bill for one (Anthropic ≈ width·height/750, about 1,600 at its
 * 1.15-megapixel cap; OpenAI's high-detail 4o tiles stay below it).
 */
export const IMAGE_TOKENS = 1_600;
/** Tokens counted for a non-image file (a PDF…): per started 100 KiB, about one page at Anthropic's upper bound. */
export const FILE_TOKENS_PER_100_KIB = 3_000;

interface Count {
  ascii: number;
  other: number;
  media: number;
}

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
 *   JSON, keys and punctuation included, plus MESSAGE_OVERHEAD_TOKENS per list
 *   item and REPLY_OVERHEAD_TOKENS per list.
 * - Images and files are not text: their bytes (binary data, `data:` URLs)
 *   are left out, and each image part (an AI SDK `image` part, a `file` part
 *   with an `image/*` media type, an OpenAI/LangChain `image_url`) counts
 *   IMAGE_TOKENS; any other file FILE_TOKENS_PER_100_KIB per started 100 KiB.
 *
 * Message lists are counted per message and each message's count is kept
 * (keyed by the message object), so re-estimating a growing conversation
 * costs what its new messages cost.
 */
export function estimateTokens(prompt: string | unknown, charsPerToken = 4): number {
  if (!(Number.isFinite(charsPerToken) && charsPerToken > 0))
    throw new InvalidRequestError([{ path: 'charsPerToken', message: `must be > 0, got ${charsPerToken}` }]);
  if (prompt === undefined || prompt === null) return 0;
  if (typeof prompt === 'string') return tokensOf(textCount(prompt), charsPerToken);
  if (!Array.isArray(prompt)) return tokensOf(jsonCount(prompt), charsPerToken);
  const total = listCount(prompt);
  return tokensOf(total, charsPerToken) + prompt.length * MESSAGE_OVERHEAD_TOKENS + REPLY_OVERHEAD_TOKENS;
}

/** A conversation seen before: how far, and what its messages counted. */
interface Conversation {
  first: string;
  length: number;
  last: string;
  prefix: Count;
}

/** Conversations remembered, most recent last. */
const conversations: Conversation[] = [];
const MAX_CONVERSATIONS = 64;

/**
 * The count of a message list. Agent loops re-send the same conversation
 * with new messages appended, as new objects each step: a list whose first
 * message and whose message at the length last seen are those of a
 * remembered conversation is counted from there on, so a step costs what its
 * new messages cost (plus reading those two messages).
 */
function listCount(list: readonly unknown[]): Count {
  const first = list.length ? signature(list[0]) : '';
  const known = conversations.find(
    (c) => c.first === first && c.length <= list.length && signature(list[c.length - 1]) === c.last,
  );
  const total: Count = known ? { ...known.prefix } : { ascii: 2, other: 0, media: 0 }; // [ ]
  for (let i = known ? known.length : 0; i < list.length; i++) {
    add(total, itemCount(list[i]));
    if (i > 0) total.ascii += 1; // ,
  }
  if (list.length)
    remember(
      { first, length: list.length, last: signature(list[list.length - 1]), prefix: { ...total } },
      known,
    );
  return total;
}

function remember(conversation: Conversation, replaces: Conversation | undefined): void {
  const at = replaces ? conversations.indexOf(replaces) : -1;
  if (at >= 0) conversations.splice(at, 1);
  conversations.push(conversation);
  if (conversations.length > MAX_CONVERSATIONS) conversations.shift();
}

const signatures = new WeakMap<object, string>();

/** What identifies a message across steps: its JSON (binary parts left out). */
function signature(item: unknown): string {
  if (item === null || typeof item !== 'object') return String(item);
  let sig = signatures.get(item);
  if (sig === undefined) {
    try {
      sig =
        JSON.stringify(item, (_k, v) =>
          typeof v === 'bigint' ? String(v) : ArrayBuffer.isView(v) ? undefined : v,
        ) ?? '';
    } catch {
      sig = '';
    }
    signatures.set(item, sig);
  }
  return sig;
}

const tokensOf = (c: Count, charsPerToken: number) => Math.ceil(c.ascii / charsPerToken) + c.other + c.media;

function add(into: Count, c: Count): void {
  into.ascii += c.ascii;
  into.other += c.other;
  into.media += c.media;
}

const counted = new WeakMap<object, Count>();

function itemCount(item: unknown): Count {
  if (item === null || typeof item !== 'object') return jsonCount(item);
  const known = counted.get(item);
  if (known) return known;
  const count = jsonCount(item);
  counted.set(item, count);
  return count;
}

function textCount(text: string): Count {
  let ascii = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x80) ascii++;
  return { ascii, other: text.length - ascii, media: 0 };
}

function jsonCount(value: unknown): Count {
  let media = 0;
  const replacer = function (this: unknown, key: string, v: unknown): unknown {
    const holder = this as Record<string, unknown>;
    const original = holder[key];
    if (typeof v === 'bigint') return String(v);
    if (key !== '' && isMediaPart(v)) media += mediaTokens(v as Record<string, unknown>);
    if (typeof v === 'string') return v.startsWith('data:') ? undefined : v;
    if (original instanceof ArrayBuffer || ArrayBuffer.isView(original)) return undefined;
    // Buffer#toJSON has already run: { type: 'Buffer', data: [bytes] }.
    const json = v as { type?: unknown; data?: unknown } | null;
    if (json && typeof json === 'object' && json.type === 'Buffer' && Array.isArray(json.data))
      return undefined;
    return v;
  };
  let text: string;
  try {
    text = JSON.stringify(isMediaPart(value) ? [value] : value, replacer) ?? '';
  } catch (error) {
    throw new InvalidRequestError([
      { path: 'prompt', message: `cannot be read as JSON (${String(error)}); pass inputTokens instead` },
    ]);
  }
  const count = textCount(text);
  count.media = media;
  return count;
}

/** An image or file part: AI SDK `{ type: 'image' | 'file' }`, OpenAI/LangChain `{ type: 'image_url' }`. */
function isMediaPart(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  const type = (v as { type?: unknown }).type;
  return type === 'image' || type === 'image_url' || (type === 'file' && 'data' in (v as object));
}

function mediaTokens(part: Record<string, unknown>): number {
  const mediaType = String(part.mediaType ?? part.mimeType ?? '');
  if (part.type !== 'file' || mediaType.startsWith('image/')) return IMAGE_TOKENS;
  const bytes = byteLength(part.data);
  return FILE_TOKENS_PER_100_KIB * Math.max(1, Math.ceil(bytes / (100 * 1024)));
}

function byteLength(data: unknown): number {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  if (typeof data === 'string') {
    const comma = data.startsWith('data:') ? data.indexOf(',') + 1 : 0;
    return Math.floor(((data.length - comma) * 3) / 4); // base64
  }
  return 0;
}
