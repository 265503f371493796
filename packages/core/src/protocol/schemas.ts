/**
 * zod schemas for every runtime request. Each request type in messages.ts has
 * one schema here; `validate` turns zod issues into InvalidRequestError with
 * one `path: rule` line per problem. Requests that carry free JSON (metadata,
 * `metrics.custom`) come from `requestSchemas(limits)`, per ledger; the
 * exports below use the default limits.
 */
import { z } from 'zod';
import { sortKeysDeep } from '../canonical-json.js';
import {
  DEFAULT_METADATA_LIMITS,
  type JsonIssue,
  jsonObjectIssue,
  type MetadataLimits,
  metadataLimits,
  reservedKeyIssue,
} from './json-value.js';
import { RESERVATION_SORT_KEYS } from './messages.js';
import {
  MAX_AMOUNT,
  OVERAGE_POLICIES,
  RESERVATION_STATUSES,
  SUBJECT_LEVELS,
  type SubjectLevel,
  UNITS,
} from './types.js';

export const NAME_PATTERN = /^[a-zA-Z0-9_.-]+$/;
export const DIMENSION_KEY_PATTERN = /^[a-z0-9_.-]+$/;

export const AMOUNT_RULE = `must be a non-negative safe integer (0 to ${MAX_AMOUNT})`;

const intIn = (min: number, max: number) =>
  z
    .number({
      error: (iss) => (iss.input === undefined ? 'is required' : `must be an integer from ${min} to ${max}`),
    })
    .int({ error: `must be an integer from ${min} to ${max}` })
    .min(min, { error: `must be an integer from ${min} to ${max}` })
    .max(max, { error: `must be an integer from ${min} to ${max}` });

export const amountValue = z
  .number({ error: (iss) => (iss.input === undefined ? 'is required' : AMOUNT_RULE) })
  .int({ error: AMOUNT_RULE })
  .min(0, { error: AMOUNT_RULE })
  .max(MAX_AMOUNT, { error: AMOUNT_RULE });

export const unit = z.enum(UNITS);
export const amount = z.strictObject({ unit, amount: amountValue });

export const levelValue = z.string().min(1).max(128).regex(NAME_PATTERN);

/** A zod check from a JsonIssue finder: one issue at the path it names. */
const issueCheck =
  (find: (v: unknown) => JsonIssue | undefined) => (value: unknown, ctx: z.RefinementCtx) => {
    const issue = find(value);
    if (issue) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  };

// zod's record skips a `__proto__` key silently: reserved keys are refused before it runs.
const dimensions = z
  .unknown()
  .superRefine(issueCheck(reservedKeyIssue))
  .pipe(
    z
      .record(z.string().max(64).regex(DIMENSION_KEY_PATTERN), z.string().max(256))
      .refine((d) => Object.keys(d).length <= 16, { error: 'must have at most 16 entries' })
      .refine((d) => !('run' in d), { error: 'must not contain `run`: use subject.run' })
      .transform(sortKeysDeep),
  );

export const subject = z
  .strictObject({
    tenant: levelValue,
    workspace: levelValue.optional(),
    app: levelValue.optional(),
    workflow: levelValue.optional(),
    run: levelValue.optional(),
    agent: levelValue.optional(),
    toolset: levelValue.optional(),
    dimensions: dimensions.optional(),
  })
  // On the wire `run` is one of the (at most 16) dimensions.
  .refine((s) => !s.run || !s.dimensions || Object.keys(s.dimensions).length <= 15, {
    error: 'must have at most 15 entries when subject.run is set (run travels as a dimension)',
    path: ['dimensions'],
  });

export const action = z.strictObject({
  kind: z.string().min(1).max(64),
  name: z.string().min(1).max(256),
  tags: z.array(z.string().max(64)).max(10).optional(),
});

const nonNegInt = intIn(0, MAX_AMOUNT);
const toolName = z.string().min(1).max(256);

export const caps = z.strictObject({
  maxTokens: nonNegInt.optional(),
  maxStepsRemaining: nonNegInt.optional(),
  toolAllowlist: z.array(toolName).optional(),
  toolDenylist: z.array(toolName).optional(),
  cooldownMs: nonNegInt.optional(),
});

export const idempotencyKey = z.string().min(1).max(256);
export const reservationId = z.string().min(1).max(128);
const overagePolicy = z.enum(OVERAGE_POLICIES);

export const releaseRequest = z.strictObject({
  idempotencyKey,
  reason: z.string().max(256).optional(),
});

/** Free JSON whose top level is an object, within `limits`, keys sorted (see json-value.ts). */
const freeJson = (limits: MetadataLimits) =>
  z
    .unknown()
    .superRefine(issueCheck((v) => jsonObjectIssue(v, limits)))
    .transform((v) => sortKeysDeep(v as Record<string, unknown>));

function buildRequestSchemas(limits: MetadataLimits) {
  const metadata = freeJson(limits);
  const metrics = z.strictObject({
    tokensInput: nonNegInt.optional(),
    tokensOutput: nonNegInt.optional(),
    latencyMs: nonNegInt.optional(),
    modelVersion: z.string().max(128).optional(),
    custom: metadata.optional(),
  });
  return {
    metadata,
    reservationCreateRequest: z.strictObject({
      idempotencyKey,
      subject,
      action,
      estimate: amount,
      ttlMs: intIn(1_000, 86_400_000).optional(),
      gracePeriodMs: intIn(0, 60_000).optional(),
      overagePolicy: overagePolicy.optional(),
      dryRun: z.boolean().optional(),
      metadata: metadata.optional(),
    }),
    commitRequest: z.strictObject({
      idempotencyKey,
      actual: amount,
      metrics: metrics.optional(),
      metadata: metadata.optional(),
    }),
    releaseRequest,
    reservationExtendRequest: z.strictObject({
      idempotencyKey,
      extendByMs: intIn(1, 86_400_000),
      metadata: metadata.optional(),
    }),
    decisionRequest: z.strictObject({
      idempotencyKey,
      subject,
      action,
      estimate: amount,
      metadata: metadata.optional(),
    }),
    eventCreateRequest: z.strictObject({
      idempotencyKey,
      subject,
      action,
      actual: amount,
      overagePolicy: overagePolicy.optional(),
      metrics: metrics.optional(),
      clientTimeMs: nonNegInt.optional(),
      metadata: metadata.optional(),
    }),
  };
}

/** The request schemas whose free JSON carries a metadata limit. */
export type RequestSchemas = ReturnType<typeof buildRequestSchemas>;

const built = new Map<string, RequestSchemas>();

/**
 * The request schemas for a ledger's `metadataLimits` option (defaults: depth
 * 32, 64 KiB); one set per distinct limits. RangeError for limits out of range.
 */
export function requestSchemas(limits: Partial<MetadataLimits> = DEFAULT_METADATA_LIMITS): RequestSchemas {
  const full = metadataLimits(limits);
  const id = `${full.maxDepth}:${full.maxBytes}`;
  let schemas = built.get(id);
  if (!schemas) {
    schemas = buildRequestSchemas(full);
    built.set(id, schemas);
  }
  return schemas;
}

const defaults = requestSchemas();
export const reservationCreateRequest = defaults.reservationCreateRequest;
export const commitRequest = defaults.commitRequest;
export const reservationExtendRequest = defaults.reservationExtendRequest;
export const decisionRequest = defaults.decisionRequest;
export const eventCreateRequest = defaults.eventCreateRequest;

const levelFilters = Object.fromEntries(SUBJECT_LEVELS.map((l) => [l, levelValue.optional()])) as Record<
  SubjectLevel,
  z.ZodOptional<typeof levelValue>
>;
const hasLevel = (q: Partial<Record<SubjectLevel, string | undefined>>) =>
  SUBJECT_LEVELS.some((l) => q[l] !== undefined);

export const balanceQuery = z
  .strictObject({
    ...levelFilters,
    includeChildren: z.boolean().optional(),
    limit: intIn(1, 200).optional(),
    cursor: z.string().max(1024).optional(),
  })
  .refine(hasLevel, { error: `must filter on at least one of ${SUBJECT_LEVELS.join(', ')}` });

/** ISO 8601 date-time bound; a blank string means unset (protocol rule). */
const timeBound = z
  .string()
  .refine((s) => s.trim() === '' || !Number.isNaN(Date.parse(s)), { error: 'must be an ISO 8601 date-time' })
  .optional();

const ordered = (a: string | undefined, b: string | undefined) =>
  !a?.trim() || !b?.trim() || Date.parse(a) <= Date.parse(b);

export const reservationListQuery = z
  .strictObject({
    idempotencyKey: idempotencyKey.optional(),
    status: z.enum(RESERVATION_STATUSES).optional(),
    ...levelFilters,
    from: timeBound,
    to: timeBound,
    expiresFrom: timeBound,
    expiresTo: timeBound,
    finalizedFrom: timeBound,
    finalizedTo: timeBound,
    sortBy: z.enum(RESERVATION_SORT_KEYS).optional(),
    sortDir: z.enum(['asc', 'desc']).optional(),
    include: z.array(z.string()).optional(),
    limit: intIn(1, 200).optional(),
    cursor: z.string().max(1024).optional(),
  })
  .refine((q) => ordered(q.from, q.to), { error: 'must not be after `to`', path: ['from'] })
  .refine((q) => ordered(q.expiresFrom, q.expiresTo), {
    error: 'must not be after `expiresTo`',
    path: ['expiresFrom'],
  })
  .refine((q) => ordered(q.finalizedFrom, q.finalizedTo), {
    error: 'must not be after `finalizedTo`',
    path: ['finalizedFrom'],
  });
