/**
 * API keys: `gov_<key id>.<secret>`, 16 hex characters of id and 32 random
 * bytes of secret (base64url). Shown once, at creation; stored as
 * HMAC-SHA256(per-key salt, secret).
 *
 * Why a fast keyed hash and not scrypt: the secret is 256 bits from the CSPRNG,
 * not a password a person chose, so there is nothing for a slow KDF to protect
 * against — guessing it is infeasible at any hash speed. A slow hash would add
 * tens of milliseconds and a CPU-bound thread-pool job to every request, since
 * every runtime request carries the key. The per-key salt keys the HMAC, so
 * two stores never share a hash and precomputed tables are useless; comparison
 * is constant-time.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord } from './store.js';

const KEY_FORMAT = /^gov_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

export interface NewKey {
  /** The key to hand to the client, once. */
  apiKey: string;
  keyId: string;
  salt: string;
  hash: string;
}

const hmac = (salt: string, secret: string) => createHmac('sha256', salt).update(secret).digest('hex');

export function newApiKey(): NewKey {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const salt = randomBytes(16).toString('hex');
  return { apiKey: `gov_${keyId}.${secret}`, keyId, salt, hash: hmac(salt, secret) };
}

/** The key id of a well-formed key, else undefined. */
export function parseApiKey(apiKey: string): { keyId: string; secret: string } | undefined {
  const m = KEY_FORMAT.exec(apiKey);
  return m ? { keyId: m[1] as string, secret: m[2] as string } : undefined;
}

export function verifySecret(record: ApiKeyRecord, secret: string): boolean {
  const want = Buffer.from(record.hash, 'hex');
  const got = Buffer.from(hmac(record.salt, secret), 'hex');
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Constant-time comparison of two secrets of any length. */
export function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

/** A short, non-reversible id of a presented key (rate-limit buckets, logs). */
export function keyFingerprint(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex').slice(0, 24);
}
