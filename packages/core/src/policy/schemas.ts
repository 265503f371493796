/** zod schemas for the provisioning plane and the policy file. */
import { z } from 'zod';
import { DURATION_PATTERN, isTimeZone } from '../ledger/periods.js';
import { amountValue, caps, unit } from '../protocol/schemas.js';
import { MAX_AMOUNT, type Unit } from '../protocol/types.js';
import { parseAmount, readAmount } from './amount.js';
import { approvalPolicy } from './approvals.js';

export { parseUsd } from './amount.js';

const scope = z.string().min(1).max(1024);
const key = { scope, unit };

export const budgetKey = z.strictObject(key);
export const amountChange = z.strictObject({ ...key, amount: amountValue });
export const capsChange = z.strictObject({ ...key, caps: caps.optional() });
/** `listBudgets`' filter; an empty tenant means every tenant. */
export const budgetListFilter = z.strictObject({ tenant: z.string().max(1024).optional() });

const timeZone = z.string().refine(isTimeZone, { error: 'must be an IANA time zone, e.g. Europe/Paris' });
const monthDay = z.number().int().min(1).max(28);
export const period = z.union(
  [
    z.strictObject({
      every: z.string().regex(DURATION_PATTERN, { error: 'must be a duration such as 1h, 1d or 30d' }),
    }),
    z.strictObject({ monthly: z.strictObject({ day: monthDay, timeZone }) }),
  ],
  { error: 'must be { every: a duration such as 1h, 1d or 30d } or { monthly: { day: 1–28, timeZone } }' },
);
export const rollover = z.enum(['none', 'carry_forward', 'cap_at_allocated']);
const schedule = { period: period.optional(), rollover: rollover.optional() };
const rolloverNeedsPeriod: [
  (d: { period?: unknown; rollover?: unknown }) => boolean,
  z.core.$ZodCustomParams,
] = [
  (d) => d.rollover === undefined || d.period !== undefined,
  { error: 'needs a period', path: ['rollover'] },
];
/** A sliding-window rate limit (see RateLimit in authority.ts). */
export const rateLimit = z
  .strictObject({
    action: z.string().min(1).max(256).optional(),
    kind: z.string().min(1).max(64).optional(),
    windowMs: z.number().int().min(1).max(86_400_000),
    maxCalls: z.number().int().min(1).max(1_000_000).optional(),
    maxAmount: amountValue.optional(),
  })
  .refine((l) => l.maxCalls !== undefined || l.maxAmount !== undefined, {
    error: 'needs maxCalls or maxAmount',
  });
const rateLimits = z.array(rateLimit).max(16).optional();

/** The loop breaker: the `threshold`-th identical tool call (same arguments) within `windowMs` in one run is denied. */
export const loopBreaker = z.strictObject({
  threshold: z.number().int().min(2).max(10_000),
  windowMs: z.number().int().min(1).max(86_400_000),
});

export const budgetDefinition = z
  .strictObject({
    ...key,
    allocated: amountValue,
    overdraftLimit: amountValue.optional(),
    caps: caps.optional(),
    isolated: z.boolean().optional(),
    ...schedule,
    rateLimits,
  })
  .refine(...rolloverNeedsPeriod)
  .refine((d) => d.allocated + (d.overdraftLimit ?? 0) <= MAX_AMOUNT, {
    error: `allocated + overdraftLimit must be at most ${MAX_AMOUNT}`,
    path: ['allocated'],
  });

export const budgetTemplate = z
  .strictObject({
    match: z.string().min(1).max(1024),
    unit,
    allocated: amountValue,
    overdraftLimit: amountValue.optional(),
    caps: caps.optional(),
    ...schedule,
    rateLimits,
  })
  .refine(...rolloverNeedsPeriod);

export const degradationPolicy = z.strictObject({
  tiers: z
    .array(
      z.strictObject({
        atPercent: z
          .number()
          .gt(0, { error: 'must be more than 0 and at most 100' })
          .max(100, { error: 'must be more than 0 and at most 100' })
          .refine(
            (p) => Number.isInteger(Math.round(p * 100)) && Math.abs(p * 100 - Math.round(p * 100)) < 1e-9,
            {
              error: 'must have at most two decimals',
            },
          ),
        caps,
      }),
    )
    .max(16),
  units: z.array(unit).optional(),
});

/**
 * A budget or template in a policy file: its amounts are read in its unit
 * (`readAmount`: whole numbers, or dollars only for USD_MICROCENTS), each
 * mistake named with the field, the value and what was expected.
 */
interface RawAmounts {
  unit: Unit;
  allocated?: unknown;
  overdraftLimit?: unknown;
}

function checkAmounts(entry: RawAmounts, ctx: z.RefinementCtx): void {
  for (const field of ['allocated', 'overdraftLimit'] as const) {
    const value = entry[field];
    if (value === undefined) {
      if (field === 'allocated') ctx.addIssue({ code: 'custom', path: [field], message: 'is required' });
      continue;
    }
    const read = readAmount(value, entry.unit);
    if ('problem' in read) ctx.addIssue({ code: 'custom', path: [field], message: read.problem });
  }
}

function withAmounts<T extends RawAmounts>(entry: T): Omit<T, 'allocated' | 'overdraftLimit'> & FileAmounts {
  const { allocated, overdraftLimit, ...rest } = entry;
  const amounts: FileAmounts = { allocated: parseAmount(allocated, entry.unit, 'allocated') };
  if (overdraftLimit !== undefined)
    amounts.overdraftLimit = parseAmount(overdraftLimit, entry.unit, 'overdraftLimit');
  return { ...rest, ...amounts };
}

interface FileAmounts {
  allocated: number;
  overdraftLimit?: number;
}

/** A period in a policy file: `1d`, or `{ monthly: 1, timeZone: Europe/Paris }`. */
const filePeriod = z.union(
  [
    z
      .string()
      .regex(DURATION_PATTERN, {
        error: 'must be a duration such as 1h, 1d or 30d, or { monthly, timeZone }',
      })
      .transform((every) => ({ every })),
    z.strictObject({ monthly: monthDay, timeZone }).transform(({ monthly, timeZone }) => ({
      monthly: { day: monthly, timeZone },
    })),
  ],
  { error: 'must be a duration such as 1h, 1d or 30d, or { monthly: 1–28, timeZone: an IANA time zone }' },
);
const rawAmounts = {
  unit,
  allocated: z.unknown(),
  overdraftLimit: z.unknown().optional(),
  caps: caps.optional(),
  period: filePeriod.optional(),
  rollover: rollover.optional(),
};
const fileBudget = z
  .strictObject({ scope, ...rawAmounts, rateLimits })
  .refine(...rolloverNeedsPeriod)
  .superRefine(checkAmounts)
  .transform(withAmounts);
const fileTemplate = z
  .strictObject({ match: z.string().min(1), ...rawAmounts, rateLimits })
  .refine(...rolloverNeedsPeriod)
  .superRefine(checkAmounts)
  .transform(withAmounts);

const riskPointRule = z.strictObject({
  name: z.string().min(1).max(256).optional(),
  kind: z.string().min(1).max(64).optional(),
  points: amountValue,
});

export const riskPointTable = z.strictObject({
  default: amountValue.optional(),
  rules: z.array(riskPointRule).default([]),
});

export const policyFile = z.strictObject({
  budgets: z.array(fileBudget).default([]),
  templates: z.array(fileTemplate).default([]),
  degradation: degradationPolicy.optional(),
  riskPoints: riskPointTable.optional(),
  loopBreaker: z.union([loopBreaker, z.literal(false)]).optional(),
  approvals: approvalPolicy.optional(),
});
