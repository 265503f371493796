/**
 * An entry sealed into its chain: the caller's actor and trace id (from the
 * audit context when the entry has none), its exact JSON text (body.ts), and
 * the hash over the previous record's hash and that text. Every JavaScript
 * ledger's append (in memory, SQLite).
 */
import { auditBody } from './body.js';
import { chainHash } from './chain.js';
import { currentAuditContext } from './context.js';
import type { AuditEntry } from './types.js';

/** Seal `entry` (changed in place: actor, trace id) after a record whose hash is `prevHash`. */
export function sealEntry(entry: AuditEntry, prevHash: string): { body: string; hash: string } {
  if (entry.actor === undefined) {
    const context = currentAuditContext();
    entry.actor = context.actor;
    if (context.traceId !== undefined && entry.traceId === undefined) entry.traceId = context.traceId;
  }
  // Built by assignment upstream: JSON.stringify of a spread object is several times slower.
  const body = auditBody(entry);
  return { body, hash: chainHash(prevHash, body) };
}
