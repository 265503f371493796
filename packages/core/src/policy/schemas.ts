/** zod schemas for the provisioning plane and the policy file. */
import { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import { amountValue, caps, unit } from '../protocol/schemas.js';
import { MAX_AMOUNT, USD } from '../protocol/types.js';

const scope = z.string().min(1).max(1024);
const key = { scope, unit };

export const budgetKey = z.strictObject(key);
export const amountChange = z.strictObject({ ...key, amount: amountValue });
export const capsChange = z.strictObject({ ...key, caps: caps.optional() });
/** `listBudgets`' filter; an empty tenant means every tenant. */
export const budgetListFilter = z.strictObject({ tenant: z.string().max(1024).optional() });

export const budgetDefinition = z
  .strictObject({
    ...key,
    allocated: amountValue,
    overdraftLimit: amountValue.optional(),
    caps: caps.optional(),
    isolated: z.boolean().optional(),
  })
  .refine((d) => d.allocated + (d.overdraftLimit ?? 0) <= MAX_AMOUNT, {
    error: `allocated + overdraftLimit must be at most ${MAX_AMOUNT}`,
    path: ['allocated'],
  });

export const budgetTemplate = z.strictObject({
  match: z.string().min(1).max(1024),
  unit,
  allocated: amountValue,
  overdraftLimit: amountValue.optional(),
  caps: caps.optional(),
});

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
 * An amount in a policy file: an integer in the budget's unit, or for
 * USD_MICROCENTS a dollar string such as "$2" or "0.25 USD" (converted exactly,
 * at most 8 decimals).
 */
const USD_TEXT = /^\s*\$?\s*(\d+)(?:\.(\d{1,8}))?\s*(?:USD)?\s*$/i;

export const fileAmount = z.union([
  amountValue,
  z
    .string()
    .regex(USD_TEXT, { error: 'must be an integer or a dollar amount like "$2.50"' })
    .transform((s) => parseUsd(s))
    .refine((n) => n <= MAX_AMOUNT, { error: `must be at most ${MAX_AMOUNT} USD_MICROCENTS` }),
]);

/** "$2", "2.50 USD", "0.00000001" → USD_MICROCENTS, exactly. Throws on anything else. */
export function parseUsd(text: string): number {
  const match = USD_TEXT.exec(text);
  if (!match)
    throw new InvalidRequestError(`"${text}" is not a dollar amount like "$2.50" (at most 8 decimals)`);
  const [, whole = '0', frac = ''] = match;
  return Number(whole) * USD + Number(frac.padEnd(8, '0'));
}

const fileBudget = z.strictObject({
  scope,
  unit,
  allocated: fileAmount,
  overdraftLimit: fileAmount.optional(),
  caps: caps.optional(),
});

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
  templates: z
    .array(
      z.strictObject({
        match: z.string().min(1),
        unit,
        allocated: fileAmount,
        overdraftLimit: fileAmount.optional(),
        caps: caps.optional(),
      }),
    )
    .default([]),
  degradation: degradationPolicy.optional(),
  riskPoints: riskPointTable.optional(),
});
