import { InvalidRequestError } from '../errors.js';
import { MAX_AMOUNT, USD } from '../protocol/types.js';

/**
 * Dollars (the library's float result) to whole USD_MICROCENTS, rounded UP:
 * a charge is never under-counted by a fraction of a microcent (10^-8 USD).
 *
 * The library computes in binary floating point, so an exact figure such as
 * $0.00725 arrives as 725000.0000000001 microcents; anything within a relative
 * 1e-13 (far above float noise, far below a microcent) of a whole number is
 * that number, and only a true fraction is rounded up.
 *
 * A result above Number.MAX_SAFE_INTEGER is an InvalidRequestError, never a
 * silently imprecise amount.
 */
export function usdToMicrocents(usd: number, what: string): number {
  if (!(Number.isFinite(usd) && usd >= 0))
    throw new InvalidRequestError(`${what}: the price database returned ${usd} USD`);
  const exact = usd * USD;
  const nearest = Math.round(exact);
  const amount = Math.abs(exact - nearest) <= Math.max(1e-6, exact * 1e-13) ? nearest : Math.ceil(exact);
  if (!Number.isSafeInteger(amount) || amount > MAX_AMOUNT)
    throw new InvalidRequestError(
      `${what}: ${usd} USD is beyond the largest exact amount (${MAX_AMOUNT} USD_MICROCENTS)`,
    );
  return amount;
}
