/**
 * The hash chain of a tenant's trail: each record's hash covers the previous
 * record's hash and its own exact JSON text. SHA-1, because that is what Redis
 * scripts can compute (`redis.sha1hex`) inside the same script as the change;
 * the chain shows a record edited, removed or reordered. (Whoever can rewrite
 * every record can rewrite the chain too: keep `headHash` elsewhere to tell.)
 */
import * as cryptoModule from 'node:crypto';
import { createHash } from 'node:crypto';
import type { AuditRecord, AuditVerification } from './types.js';

export const chainHash = (prevHash: string, body: string): string => sha1Hex(`${prevHash}\n${body}`);

type OneShot = { hash?: (algorithm: string, data: string, encoding: string) => string };
const oneShot = (cryptoModule as unknown as OneShot).hash;
/** SHA-1 of `text`: one-shot `crypto.hash` where the runtime has it (Node ≥ 20.12), else a Hash object. */
const sha1 = (text: string, encoding: 'hex' | 'base64'): string =>
  oneShot ? oneShot('sha1', text, encoding) : createHash('sha1').update(text).digest(encoding);
const sha1Hex = (text: string) => sha1(text, 'hex');
export const sha1Base64 = (text: string) => sha1(text, 'base64');

/** Walk `records` (one tenant's, oldest first) and report the first that does not follow. */
export function verifyChain(
  tenant: string,
  records: Iterable<Pick<AuditRecord, 'id' | 'prevHash' | 'hash' | 'body'>>,
): AuditVerification {
  let checked = 0;
  let previous: string | undefined;
  for (const r of records) {
    checked += 1;
    const broken = (reason: string): AuditVerification => ({
      tenant,
      checked,
      ok: false,
      firstBreak: { id: r.id, reason },
    });
    if (previous !== undefined && r.prevHash !== previous)
      return broken(`its prevHash ${r.prevHash || "''"} is not the previous record's hash ${previous}`);
    if (chainHash(r.prevHash, r.body) !== r.hash) return broken('its hash does not match its content');
    previous = r.hash;
  }
  return previous === undefined
    ? { tenant, checked, ok: true }
    : { tenant, checked, ok: true, headHash: previous };
}
