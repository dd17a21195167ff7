/**
 * Money arithmetic of an order: integer minor units only, never floats.
 *
 * Two percentages are applied to a package price:
 * - the buyer's service fee: `price × BUYER_FEE_BPS / 10 000 + BUYER_FEE_FIXED`;
 * - the platform's commission, kept from the seller: `price × PLATFORM_COMMISSION_BPS / 10 000`.
 *
 * Rounding rule (one rule for both): the percentage part is rounded half up to
 * a whole minor unit (0.5 cent and above rounds up; amounts are never
 * negative, so "half up" and "half away from zero" agree). The seller's
 * earnings are `price − commission`, so price = earnings + commission exactly,
 * whatever the rounding. Arithmetic is done in BigInt so no intermediate
 * product can lose precision.
 */

/** Money: integer minor units plus an ISO 4217 code. */
export interface Money {
  amount: number;
  currency: string;
}

/** Basis points: 1 bp = 0.01 %, so 10 000 bp = 100 %. */
export const BPS_SCALE = 10_000;

/** Fee settings, from configuration. */
export interface FeeSchedule {
  /** Buyer's service fee, percentage part, in basis points. */
  buyerFeeBps: number;
  /** Buyer's service fee, fixed part, in minor units (same for every currency). */
  buyerFeeFixed: number;
  /** Platform commission on the price, in basis points, kept from the seller's share. */
  commissionBps: number;
}

/** What an order costs and who gets what, all in the gig's currency. */
export interface Quote {
  currency: string;
  /** The package price from the replica. */
  price: number;
  /** What the buyer pays on top of the price. */
  serviceFee: number;
  /** `price + serviceFee`: the PaymentIntent amount. */
  total: number;
  /** The platform's cut of the price. */
  commission: number;
  /** `price − commission`: released to the seller on completion. */
  sellerEarnings: number;
}

/**
 * `amount × bps / 10 000`, rounded half up to a whole minor unit.
 * @throws RangeError for a negative or non-integer input.
 */
export function percentOf(amount: number, bps: number): number {
  if (!Number.isSafeInteger(amount) || amount < 0) {
    throw new RangeError(`amount must be a non-negative integer, got ${amount}`);
  }
  if (!Number.isSafeInteger(bps) || bps < 0 || bps > BPS_SCALE) {
    throw new RangeError(`bps must be an integer in 0..${BPS_SCALE}, got ${bps}`);
  }
  const scale = BigInt(BPS_SCALE);
  // Adding half the divisor before the floor division rounds half up.
  return Number((BigInt(amount) * BigInt(bps) + scale / 2n) / scale);
}

/** Prices an order from a package price and the fee schedule. */
export function quote(price: Money, fees: FeeSchedule): Quote {
  if (!Number.isSafeInteger(price.amount) || price.amount <= 0) {
    throw new RangeError(`price must be a positive integer, got ${price.amount}`);
  }
  if (!Number.isSafeInteger(fees.buyerFeeFixed) || fees.buyerFeeFixed < 0) {
    throw new RangeError(`buyerFeeFixed must be a non-negative integer`);
  }
  const serviceFee = percentOf(price.amount, fees.buyerFeeBps) + fees.buyerFeeFixed;
  const commission = percentOf(price.amount, fees.commissionBps);
  return {
    currency: price.currency,
    price: price.amount,
    serviceFee,
    total: price.amount + serviceFee,
    commission,
    sellerEarnings: price.amount - commission,
  };
}
