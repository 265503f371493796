/**
 * The on-disk form of the settlement journal: one JSON object per line, each
 * with a format version `v` and a checksum `sum` (the first 16 hex digits of a
 * SHA-256 of the record's canonical JSON without `sum`). A line that does not
 * parse, fails its checksum, has another version or an unknown shape is
 * corrupt: quarantined, never replayed.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../canonical-json.js';
import { action, amount, reservationId, subject } from '../protocol/schemas.js';
import type { Action, Amount, Metadata, OveragePolicy, StandardMetrics, Subject } from '../protocol/types.js';

export const JOURNAL_FORMAT_VERSION = 1;

/** Everything needed to replay one settlement after a restart, with its original key. */
export interface JournalEntry {
  /** The settlement's idempotency key (the commit key), reused by every replay. */
  key: string;
  /** The reservation to commit against; none: the settlement is an event. */
  reservationId?: string | undefined;
  subject: Subject;
  action: Action;
  actual: Amount;
  metrics?: StandardMetrics | undefined;
  metadata?: Metadata | undefined;
  overagePolicy?: OveragePolicy | undefined;
}

/** A journalled settlement not yet final, with what was learnt about it since. */
export interface LiveJournalEntry extends JournalEntry {
  /** `event` once its reservation was found expired or gone: replays go straight to an event (same key). */
  mode: 'commit' | 'event';
  /** No request before this time (ledger clock, epoch ms): the authority's Retry-After. */
  notBeforeMs?: number | undefined;
  /** When it was first journalled (epoch ms). */
  recordedAtMs: number;
}

const key = z.string().min(1).max(256);
const entryShape = z.strictObject({
  reservationId: reservationId.optional(),
  subject,
  action,
  actual: amount,
  metrics: z.record(z.string(), z.unknown()).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  overagePolicy: z.enum(['REJECT', 'ALLOW_IF_AVAILABLE', 'ALLOW_WITH_OVERDRAFT']).optional(),
});
const at = z.number().int().nonnegative();

const recordShape = z.discriminatedUnion('t', [
  z.strictObject({
    v: z.literal(JOURNAL_FORMAT_VERSION),
    t: z.literal('pending'),
    key,
    at,
    entry: entryShape,
    mode: z.enum(['commit', 'event']).optional(),
    notBefore: at.optional(),
  }),
  z.strictObject({ v: z.literal(JOURNAL_FORMAT_VERSION), t: z.literal('event_mode'), key, at }),
  z.strictObject({
    v: z.literal(JOURNAL_FORMAT_VERSION),
    t: z.literal('not_before'),
    key,
    at,
    notBefore: at,
  }),
  z.strictObject({ v: z.literal(JOURNAL_FORMAT_VERSION), t: z.literal('resolved'), key, at }),
]);

export type JournalRecord = z.infer<typeof recordShape>;

const checksum = (record: object): string =>
  createHash('sha256').update(canonicalJson(record)).digest('hex').slice(0, 16);

/** One record as its line (newline included). */
export function encodeRecord(record: JournalRecord): string {
  const plain = JSON.parse(JSON.stringify(record)) as object; // drop undefined members
  return `${JSON.stringify({ ...plain, sum: checksum(plain) })}\n`;
}

export type Decoded = { ok: true; record: JournalRecord } | { ok: false; reason: string };

/** A line (without its newline) back to a record, or why it is corrupt or unsupported. */
export function decodeRecord(line: string): Decoded {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, reason: 'not a JSON object' };
  }
  const { sum, ...rest } = parsed as Record<string, unknown>;
  if (rest.v !== JOURNAL_FORMAT_VERSION) {
    return { ok: false, reason: `unsupported record version ${JSON.stringify(rest.v) ?? 'undefined'}` };
  }
  if (sum !== checksum(rest)) return { ok: false, reason: 'checksum mismatch' };
  const result = recordShape.safeParse(rest);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, reason: `invalid record: ${issue?.path.join('.') || '(root)'}: ${issue?.message}` };
  }
  return { ok: true, record: result.data };
}

/** The pending record of an entry (its fields only: a grant spread into it carries more). */
export function pendingRecord(entry: JournalEntry, atMs: number, live?: LiveJournalEntry): JournalRecord {
  return {
    v: JOURNAL_FORMAT_VERSION,
    t: 'pending',
    key: entry.key,
    at: atMs,
    entry: {
      reservationId: entry.reservationId,
      subject: entry.subject,
      action: entry.action,
      actual: entry.actual,
      metrics: entry.metrics as Record<string, unknown> | undefined,
      metadata: entry.metadata,
      overagePolicy: entry.overagePolicy,
    },
    ...(live?.mode === 'event' ? { mode: 'event' as const } : {}),
    ...(live?.notBeforeMs !== undefined ? { notBefore: live.notBeforeMs } : {}),
  };
}

/** The live entry a pending record describes. */
export function liveEntryOf(record: Extract<JournalRecord, { t: 'pending' }>): LiveJournalEntry {
  const { entry } = record;
  return {
    key: record.key,
    ...(entry.reservationId !== undefined ? { reservationId: entry.reservationId } : {}),
    subject: entry.subject as Subject,
    action: entry.action as Action,
    actual: entry.actual as Amount,
    ...(entry.metrics ? { metrics: entry.metrics as StandardMetrics } : {}),
    ...(entry.metadata ? { metadata: entry.metadata as Metadata } : {}),
    ...(entry.overagePolicy ? { overagePolicy: entry.overagePolicy } : {}),
    mode: record.mode ?? 'commit',
    ...(record.notBefore !== undefined ? { notBeforeMs: record.notBefore } : {}),
    recordedAtMs: record.at,
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The standard journal file for an identity (a tenant, a worker, a process
 * role) in `dir`: `<sha256 of the identity's exact UTF-8 bytes>.journal`, so
 * any two distinct identities, however alike, never share a file.
 */
export function journalPathFor(dir: string, identity: string): string {
  if (typeof identity !== 'string' || identity.length === 0 || LONE_SURROGATE.test(identity)) {
    // A lone surrogate has no UTF-8 form: two such identities would encode alike.
    throw new TypeError('journalPathFor: the identity must be a non-empty, well-formed string');
  }
  const digest = createHash('sha256').update(Buffer.from(identity, 'utf8')).digest('hex');
  return join(dir, `${digest}.journal`);
}
