import { findProvider } from '@pydantic/genai-prices';
import { InvalidRequestError } from '../errors.js';
import type { ModelRef } from './types.js';

/** One way to look a model up: a provider id (or none: the database infers it) and a model id. */
export interface Lookup {
  provider: string | undefined;
  modelId: string;
}

/** Validate a model reference; a plain string is `{ modelId }`. */
export function toModelRef(model: ModelRef | string): ModelRef {
  const ref = typeof model === 'string' ? { modelId: model } : model;
  if (typeof ref?.modelId !== 'string' || ref.modelId.trim() === '')
    throw new InvalidRequestError([{ path: 'model.modelId', message: 'must be a non-empty string' }]);
  if (ref.provider !== undefined && (typeof ref.provider !== 'string' || ref.provider.trim() === ''))
    throw new InvalidRequestError([{ path: 'model.provider', message: 'must be a non-empty string if set' }]);
  return { modelId: ref.modelId.trim(), ...(ref.provider ? { provider: ref.provider.trim() } : {}) };
}

/**
 * The lookups to try, in order.
 * - `openai:gpt-4o` / `openai/gpt-4o` split into provider and model when the
 *   prefix is the given provider or, with none given, a known one; the whole
 *   id is tried as well (`meta-llama/Llama-3-8b`, OpenRouter's `openai/gpt-4o`).
 * - An AI SDK provider string (`openai.chat`, `xai.chat`) is also tried
 *   without its `.suffix`.
 * A given provider is never dropped: an unknown provider is an unknown price.
 */
export function lookupsFor(ref: ModelRef): Lookup[] {
  const given = ref.provider?.toLowerCase();
  const providers = given ? unique([given, given.split('.')[0] ?? given]) : [undefined];
  const split = /^([a-z0-9_-]+)[:/](.+)$/i.exec(ref.modelId);
  const prefix = split?.[1]?.toLowerCase();
  const rest = split?.[2];
  const lookups: Lookup[] = [];
  for (const provider of providers) {
    if (prefix && rest && (provider ? prefix === provider : isKnownProvider(prefix)))
      lookups.push({ provider: prefix, modelId: rest });
    lookups.push({ provider, modelId: ref.modelId });
  }
  return lookups;
}

function isKnownProvider(id: string): boolean {
  return findProvider({ providerId: id }) !== undefined;
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
